/* Minimal stand-in for twemproxy's nc_server.h (fields hashkit uses). */
#ifndef _NC_SERVER_H_
#define _NC_SERVER_H_

#include <nc_core.h>

struct continuum {
    uint32_t index;
    uint32_t value;
};

struct server {
    struct string name;
    uint32_t weight;
    int64_t next_retry;
};

struct server_pool {
    uint32_t idx;
    struct string name;
    struct array server;
    uint32_t ncontinuum;
    uint32_t nserver_continuum;
    struct continuum *continuum;
    uint32_t nlive_server;
    int64_t next_rebuild;
    unsigned auto_eject_hosts:1;
};

#endif
