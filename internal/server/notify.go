// notify.go delivers keyspace notifications: commands report events with
// keyspace.DB.Notify, and this hook publishes them on the
// __keyspace@<db>__:<key> and __keyevent@<db>__:<event> channels as
// notify-keyspace-events selects, as Redis's notifyKeyspaceEvent does.
package server

import (
	"strconv"

	"github.com/redoubt/redoubt/internal/config"
	"github.com/redoubt/redoubt/internal/keyspace"
)

// notifyClassBits maps the class letters commands use to the
// notify-keyspace-events bits that enable them.
var notifyClassBits = [256]int{
	keyspace.ClassGeneric: config.NotifyGeneric,
	keyspace.ClassString:  config.NotifyString,
	keyspace.ClassList:    config.NotifyList,
	keyspace.ClassSet:     config.NotifySet,
	keyspace.ClassHash:    config.NotifyHash,
	keyspace.ClassZSet:    config.NotifyZset,
	keyspace.ClassStream:  config.NotifyStream,
	keyspace.ClassExpired: config.NotifyExpired,
	keyspace.ClassEvicted: config.NotifyEvicted,
	keyspace.ClassKeyMiss: config.NotifyKeyMiss,
	keyspace.ClassNew:     config.NotifyNew,
	'd':                   config.NotifyModule,
}

func (s *Server) installKeyspaceEvents() {
	s.ks.Hooks.Event = s.notifyKeyspaceEvent
}

func (s *Server) notifyKeyspaceEvent(db *keyspace.DB, class byte, event string, key []byte) {
	flags := s.cfg.NotifyKeyspaceEvents
	if flags&notifyClassBits[class] == 0 {
		return
	}
	var chanBuf [64]byte
	if flags&config.NotifyKeyspace != 0 {
		ch := append(chanBuf[:0], "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db.ID), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		s.publish(plainChannels, ch, []byte(event))
	}
	if flags&config.NotifyKeyevent != 0 {
		ch := append(chanBuf[:0], "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db.ID), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		s.publish(plainChannels, ch, key)
	}
}
