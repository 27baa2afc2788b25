// stream_cg.go holds stream consumer groups: each group has a last
// delivered ID, an entries-read counter and a pending entries list (PEL)
// of NACKs, each owned by one consumer, which keeps its own PEL of the
// same NACKs. PELs are ID-ordered maps.
package types

import (
	"sort"
)

// InvalidEntriesRead is Redis's SCG_INVALID_ENTRIES_READ.
const InvalidEntriesRead = -1

// StreamNACK is a delivered, not yet acknowledged entry.
type StreamNACK struct {
	DeliveryTime  int64 // unix ms
	DeliveryCount int64
	Consumer      *StreamConsumer
}

// StreamConsumer is a consumer of a group.
type StreamConsumer struct {
	Name     string
	SeenTime int64 // unix ms
	PEL      PEL
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        string
	LastID      StreamID
	EntriesRead int64
	PEL         PEL
	consumers   map[string]*StreamConsumer
}

// PEL is an ID-ordered map of NACKs (a sorted slice: deliveries append
// at the end, the common case).
type PEL struct {
	ids   []StreamID
	nacks []*StreamNACK
}

// Len is the number of pending entries.
func (p *PEL) Len() int { return len(p.ids) }

func (p *PEL) search(id StreamID) int {
	n := len(p.ids)
	if n == 0 || p.ids[n-1].Less(id) {
		return n
	}
	return sort.Search(n, func(i int) bool { return !p.ids[i].Less(id) })
}

// Get returns the NACK of id.
func (p *PEL) Get(id StreamID) *StreamNACK {
	i := p.search(id)
	if i < len(p.ids) && p.ids[i] == id {
		return p.nacks[i]
	}
	return nil
}

// Insert adds id unless present; it reports whether it added.
func (p *PEL) Insert(id StreamID, n *StreamNACK) bool {
	i := p.search(id)
	if i < len(p.ids) && p.ids[i] == id {
		return false
	}
	p.ids = append(p.ids, StreamID{})
	p.nacks = append(p.nacks, nil)
	copy(p.ids[i+1:], p.ids[i:])
	copy(p.nacks[i+1:], p.nacks[i:])
	p.ids[i], p.nacks[i] = id, n
	return true
}

// Remove deletes id and reports whether it was present.
func (p *PEL) Remove(id StreamID) bool {
	i := p.search(id)
	if i == len(p.ids) || p.ids[i] != id {
		return false
	}
	p.ids = append(p.ids[:i], p.ids[i+1:]...)
	k := len(p.nacks) - 1
	copy(p.nacks[i:], p.nacks[i+1:])
	p.nacks[k] = nil // the vacated slot must not keep the NACK alive
	p.nacks = p.nacks[:k]
	if c := cap(p.ids); c > 64 && len(p.ids) < c/4 {
		// acknowledged entries give their memory back
		p.ids = append(make([]StreamID, 0, 2*len(p.ids)), p.ids...)
		p.nacks = append(make([]*StreamNACK, 0, 2*len(p.nacks)), p.nacks...)
	}
	return true
}

// First and Last return the smallest and largest IDs (Len > 0).
func (p *PEL) First() StreamID { return p.ids[0] }
func (p *PEL) Last() StreamID  { return p.ids[len(p.ids)-1] }

// Ascend calls fn for entries with id >= from in order until it returns
// false. fn must not modify the PEL.
func (p *PEL) Ascend(from StreamID, fn func(id StreamID, n *StreamNACK) bool) {
	for i := p.search(from); i < len(p.ids); i++ {
		if !fn(p.ids[i], p.nacks[i]) {
			return
		}
	}
}

// Group returns the group named name, or nil.
func (s *Stream) Group(name string) *StreamGroup {
	for _, g := range s.groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Groups returns the groups in name order (Redis's rax order).
func (s *Stream) Groups() []*StreamGroup { return s.groups }

// CreateGroup adds a group; nil when the name exists.
func (s *Stream) CreateGroup(name string, last StreamID, entriesRead int64) *StreamGroup {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].Name >= name })
	if i < len(s.groups) && s.groups[i].Name == name {
		return nil
	}
	g := &StreamGroup{Name: name, LastID: last, EntriesRead: entriesRead, consumers: map[string]*StreamConsumer{}}
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
	return g
}

// DestroyGroup removes the group named name and reports whether it existed.
func (s *Stream) DestroyGroup(name string) bool {
	for i, g := range s.groups {
		if g.Name == name {
			s.groups = append(s.groups[:i], s.groups[i+1:]...)
			return true
		}
	}
	return false
}

// Consumer returns the consumer named name, or nil.
func (g *StreamGroup) Consumer(name string) *StreamConsumer { return g.consumers[name] }

// CreateConsumer adds a consumer; nil when it exists.
func (g *StreamGroup) CreateConsumer(name string, now int64) *StreamConsumer {
	if g.consumers[name] != nil {
		return nil
	}
	c := &StreamConsumer{Name: name, SeenTime: now}
	g.consumers[name] = c
	return c
}

// DeleteConsumer removes a consumer and its pending entries from the
// group; it returns how many entries it had pending (-1 when missing).
func (g *StreamGroup) DeleteConsumer(name string) int {
	c := g.consumers[name]
	if c == nil {
		return -1
	}
	n := c.PEL.Len()
	for _, id := range c.PEL.ids {
		g.PEL.Remove(id)
	}
	delete(g.consumers, name)
	return n
}

// Consumers returns the consumers in name order.
func (g *StreamGroup) Consumers() []*StreamConsumer {
	out := make([]*StreamConsumer, 0, len(g.consumers))
	for _, c := range g.consumers {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Ack removes id from the group's and its consumer's PEL.
func (g *StreamGroup) Ack(id StreamID) bool {
	n := g.PEL.Get(id)
	if n == nil {
		return false
	}
	g.PEL.Remove(id)
	n.Consumer.PEL.Remove(id)
	return true
}

// Deliver records that id was delivered to c now, as Redis's
// streamReplyWithRange: a NACK already in the group moves to c with a
// delivery count of 1.
func (g *StreamGroup) Deliver(id StreamID, c *StreamConsumer, now int64) {
	if n := g.PEL.Get(id); n != nil {
		n.Consumer.PEL.Remove(id)
		n.Consumer = c
		n.DeliveryTime = now
		n.DeliveryCount = 1
		c.PEL.Insert(id, n)
		return
	}
	n := &StreamNACK{DeliveryTime: now, DeliveryCount: 1, Consumer: c}
	g.PEL.Insert(id, n)
	c.PEL.Insert(id, n)
}

func (g *StreamGroup) dup() *StreamGroup {
	d := &StreamGroup{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead, consumers: map[string]*StreamConsumer{}}
	for name, c := range g.consumers {
		d.consumers[name] = &StreamConsumer{Name: name, SeenTime: c.SeenTime}
	}
	for i, id := range g.PEL.ids {
		n := g.PEL.nacks[i]
		nc := d.consumers[n.Consumer.Name]
		nn := &StreamNACK{DeliveryTime: n.DeliveryTime, DeliveryCount: n.DeliveryCount, Consumer: nc}
		d.PEL.Insert(id, nn)
		nc.PEL.Insert(id, nn)
	}
	return d
}

// RangeHasTombstones is Redis's streamRangeHasTombstones (end = +).
func (s *Stream) RangeHasTombstones(start StreamID) bool {
	if s.length == 0 || s.MaxDeletedID.IsZero() {
		return false
	}
	if s.MaxDeletedID.Less(s.FirstID) {
		return false
	}
	return !s.MaxDeletedID.Less(start)
}

// EstimateDistance is Redis's streamEstimateDistanceFromFirstEverEntry.
func (s *Stream) EstimateDistance(id StreamID) int64 {
	if s.EntriesAdded == 0 {
		return 0
	}
	if s.length == 0 && !s.LastID.Less(id) {
		return int64(s.EntriesAdded)
	}
	switch id.Cmp(s.LastID) {
	case 0:
		return int64(s.EntriesAdded)
	case 1:
		return InvalidEntriesRead
	}
	if s.MaxDeletedID.IsZero() || s.MaxDeletedID.Less(s.FirstID) {
		switch id.Cmp(s.FirstID) {
		case -1:
			return int64(s.EntriesAdded - s.length)
		case 0:
			return int64(s.EntriesAdded - s.length + 1)
		}
	}
	return InvalidEntriesRead
}

// Lag is the group's lag as XINFO reports it; false when unknown.
func (s *Stream) Lag(g *StreamGroup) (int64, bool) {
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != InvalidEntriesRead && !s.RangeHasTombstones(g.LastID) {
		return int64(s.EntriesAdded) - g.EntriesRead, true
	}
	if r := s.EstimateDistance(g.LastID); r != InvalidEntriesRead {
		return int64(s.EntriesAdded) - r, true
	}
	return 0, false
}

// AdvanceGroup moves g's last ID to id (a newly delivered entry) and
// keeps its entries-read counter as Redis does.
func (s *Stream) AdvanceGroup(g *StreamGroup, id StreamID) {
	if !g.LastID.Less(id) {
		return
	}
	if g.EntriesRead != InvalidEntriesRead && !s.RangeHasTombstones(id) {
		g.EntriesRead++
	} else if s.EntriesAdded != 0 {
		g.EntriesRead = s.EstimateDistance(id)
	}
	g.LastID = id
}

// AddPending records id as pending for c with the given delivery time and
// count, as loading a saved group does. It reports false when id is
// already pending in the group.
func (g *StreamGroup) AddPending(id StreamID, c *StreamConsumer, deliveryTime, deliveryCount int64) bool {
	if g.PEL.Get(id) != nil {
		return false
	}
	n := &StreamNACK{DeliveryTime: deliveryTime, DeliveryCount: deliveryCount, Consumer: c}
	g.PEL.Insert(id, n)
	c.PEL.Insert(id, n)
	return true
}
