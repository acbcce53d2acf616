package canal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrCanalPosition is wrapped by every error about a Canal position file that cannot be used.
var ErrCanalPosition = errors.New("unusable Canal position")

// CanalPosition is the position a Canal instance recorded for its client: Canal's EntryPosition
// (the "postion" member of a LogPosition, spelled as Canal spells it). Canal records the start of
// the last acknowledged event that ends a transaction or is a DDL statement (or, outside GTID
// mode, the BEGIN of a transaction not yet acknowledged), and resumes by dumping the binlog from
// exactly that start (MemoryEventStoreWithBuffer picks the ack point, MysqlEventParser resumes).
type CanalPosition struct {
	JournalName string  `json:"journalName"` // binlog file
	Position    *uint64 `json:"position"`    // start of the recorded event
	Timestamp   int64   `json:"timestamp"`   // the event's time, ms since the Unix epoch (0: unknown)
	ServerID    *uint32 `json:"serverId"`    // server id in the event's header (nil: unknown)
	GTID        string  `json:"gtid"`        // executed GTID set with the event (Canal's GTID mode; else "")
	Included    bool    `json:"included"`    // unused by Canal's MySQL parser; kept for the record
}

// canalLogPosition is Canal's LogPosition (ZooKeeper cursor, and meta.dat's "cursor").
type canalLogPosition struct {
	Postion  *CanalPosition `json:"postion"`
	Position *CanalPosition `json:"position"` // tolerated: a hand-written file with the usual spelling
}

// canalMetaFile is Canal's FileMixedMetaManager.FileMetaInstanceData (conf/<destination>/meta.dat).
type canalMetaFile struct {
	Destination string `json:"destination"`
	ClientDatas []struct {
		ClientIdentity struct {
			ClientID    int64  `json:"clientId"`
			Destination string `json:"destination"`
		} `json:"clientIdentity"`
		Cursor *canalLogPosition `json:"cursor"`
	} `json:"clientDatas"`
}

// ParseCanalPosition reads the position from Canal's file meta store (meta.dat: one
// FileMetaInstanceData, written by FileMixedMetaManager) or from the JSON of a ZooKeeper cursor
// node (/otter/canal/destinations/<destination>/<clientId>/cursor: a LogPosition written with
// fastjson's class name, "@type"). A meta.dat must hold exactly one client's cursor.
func ParseCanalPosition(b []byte) (CanalPosition, error) {
	b = bytes.TrimSpace(b)
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return CanalPosition{}, fmt.Errorf("%w: not a JSON object (want meta.dat or a ZooKeeper cursor): %v", ErrCanalPosition, err)
	}
	if _, ok := probe["clientDatas"]; ok {
		return parseCanalMeta(b)
	}
	var lp canalLogPosition
	if err := json.Unmarshal(b, &lp); err != nil {
		return CanalPosition{}, fmt.Errorf("%w: cursor: %v", ErrCanalPosition, err)
	}
	return lp.entry("cursor")
}

func parseCanalMeta(b []byte) (CanalPosition, error) {
	var f canalMetaFile
	if err := json.Unmarshal(b, &f); err != nil {
		return CanalPosition{}, fmt.Errorf("%w: meta.dat: %v", ErrCanalPosition, err)
	}
	var found []CanalPosition
	var clients []string
	for _, c := range f.ClientDatas {
		if c.Cursor == nil {
			continue
		}
		p, err := c.Cursor.entry(fmt.Sprintf("meta.dat client %d", c.ClientIdentity.ClientID))
		if err != nil {
			return CanalPosition{}, err
		}
		found = append(found, p)
		clients = append(clients, fmt.Sprint(c.ClientIdentity.ClientID))
	}
	switch len(found) {
	case 0:
		return CanalPosition{}, fmt.Errorf("%w: meta.dat of destination %q holds no client cursor (Canal has not acknowledged anything yet): start Ferry with --start-file/--start-pos instead",
			ErrCanalPosition, f.Destination)
	case 1:
		return found[0], nil
	}
	return CanalPosition{}, fmt.Errorf("%w: meta.dat of destination %q holds cursors of clients %s: copy the one whose consumer Ferry replaces into a file of its own ({\"postion\": {...}})",
		ErrCanalPosition, f.Destination, strings.Join(clients, ", "))
}

func (lp *canalLogPosition) entry(what string) (CanalPosition, error) {
	p := lp.Postion
	if p == nil {
		p = lp.Position
	}
	switch {
	case p == nil:
		return CanalPosition{}, fmt.Errorf("%w: %s has no \"postion\" member", ErrCanalPosition, what)
	case p.JournalName == "" || p.Position == nil:
		return CanalPosition{}, fmt.Errorf("%w: %s has no journalName/position (a timestamp-only or GTID-only position): use resync --from-time or --from-gtid",
			ErrCanalPosition, what)
	case *p.Position < 4:
		return CanalPosition{}, fmt.Errorf("%w: %s position %d is before the first event of %s", ErrCanalPosition, what, *p.Position, p.JournalName)
	}
	return *p, nil
}
