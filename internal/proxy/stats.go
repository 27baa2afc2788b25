// Counters of the proxy with twemproxy's names, kept per pool and per
// server with atomics on the hot path; Stats returns a snapshot.
package proxy

import "sync/atomic"

type poolStats struct {
	clientEOF         atomic.Int64
	clientErr         atomic.Int64
	clientConnections atomic.Int64
	serverEjects      atomic.Int64
	forwardError      atomic.Int64
	fragments         atomic.Int64
}

type serverStats struct {
	serverEOF         atomic.Int64
	serverErr         atomic.Int64
	serverTimedout    atomic.Int64
	serverConnections atomic.Int64
	serverEjectedAt   atomic.Int64
	requests          atomic.Int64
	requestBytes      atomic.Int64
	responses         atomic.Int64
	responseBytes     atomic.Int64
	inQueue           atomic.Int64
	outQueue          atomic.Int64
}

// PoolStats is a snapshot of one pool's counters (twemproxy's names).
type PoolStats struct {
	Name              string
	ClientEOF         int64 `json:"client_eof"`
	ClientErr         int64 `json:"client_err"`
	ClientConnections int64 `json:"client_connections"`
	ServerEjects      int64 `json:"server_ejects"`
	ForwardError      int64 `json:"forward_error"`
	Fragments         int64 `json:"fragments"`
	Servers           []ServerStats
}

// ServerStats is a snapshot of one server's counters.
type ServerStats struct {
	Name              string
	Addr              string
	ServerEOF         int64 `json:"server_eof"`
	ServerErr         int64 `json:"server_err"`
	ServerTimedout    int64 `json:"server_timedout"`
	ServerConnections int64 `json:"server_connections"`
	Requests          int64 `json:"requests"`
	RequestBytes      int64 `json:"request_bytes"`
	Responses         int64 `json:"responses"`
	ResponseBytes     int64 `json:"response_bytes"`
	InQueue           int64 `json:"in_queue"`
	OutQueue          int64 `json:"out_queue"`
}

func (p *pool) snapshot() PoolStats {
	ps := PoolStats{
		Name:              p.cfg.Name,
		ClientEOF:         p.st.clientEOF.Load(),
		ClientErr:         p.st.clientErr.Load(),
		ClientConnections: p.st.clientConnections.Load(),
		ServerEjects:      p.st.serverEjects.Load(),
		ForwardError:      p.st.forwardError.Load(),
		Fragments:         p.st.fragments.Load(),
	}
	for _, s := range p.servers {
		ps.Servers = append(ps.Servers, ServerStats{
			Name:              s.name,
			Addr:              s.curAddr(),
			ServerEOF:         s.st.serverEOF.Load(),
			ServerErr:         s.st.serverErr.Load(),
			ServerTimedout:    s.st.serverTimedout.Load(),
			ServerConnections: s.st.serverConnections.Load(),
			Requests:          s.st.requests.Load(),
			RequestBytes:      s.st.requestBytes.Load(),
			Responses:         s.st.responses.Load(),
			ResponseBytes:     s.st.responseBytes.Load(),
			InQueue:           s.st.inQueue.Load(),
			OutQueue:          s.st.outQueue.Load(),
		})
	}
	return ps
}
