package canal

import (
	"errors"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
)

// metaDat is a meta.dat as Canal's FileMixedMetaManager writes it (fastjson2, fields sorted).
const metaDat = `{"clientDatas":[{"clientIdentity":{"clientId":1001,"destination":"example","filter":""},` +
	`"cursor":{"identity":{"slaveId":-1,"sourceAddress":{"address":"127.0.0.1","port":3306}},` +
	`"postion":{"gtid":"","included":false,"journalName":"mysql-bin.000003","position":4478,"serverId":1,"timestamp":1764921600000}}}],` +
	`"destination":"example"}`

// zkCursor is a ZooKeeper cursor node as ZooKeeperMetaManager writes it (WriteClassName).
const zkCursor = `{"@type":"com.alibaba.otter.canal.protocol.position.LogPosition",` +
	`"identity":{"slaveId":-1,"sourceAddress":{"address":"db1","port":3306}},` +
	`"postion":{"gtid":"0-1-77","included":false,"journalName":"mysql-bin.000012","position":120,"serverId":2,"timestamp":1764921601000}}`

func TestParseCanalPosition(t *testing.T) {
	tests := []struct {
		name, in      string
		file, gtid    string
		pos, serverID uint64
		ts            int64
	}{
		{"meta.dat", metaDat, "mysql-bin.000003", "", 4478, 1, 1764921600000},
		{"zookeeper cursor", zkCursor, "mysql-bin.000012", "0-1-77", 120, 2, 1764921601000},
		{"fastjson 1.x cursor without gtid and serverId",
			`{"@type":"com.alibaba.otter.canal.protocol.position.LogPosition","postion":{"included":false,"journalName":"bin.000001","position":4,"timestamp":0}}`,
			"bin.000001", "", 4, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseCanalPosition([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			sid := uint64(0)
			if p.ServerID != nil {
				sid = uint64(*p.ServerID)
			}
			if p.JournalName != tt.file || *p.Position != tt.pos || p.GTID != tt.gtid || sid != tt.serverID || p.Timestamp != tt.ts {
				t.Fatalf("parsed %+v (pos %d, server %d)", p, *p.Position, sid)
			}
		})
	}
}

func TestParseCanalPositionRejects(t *testing.T) {
	two := `{"clientDatas":[{"clientIdentity":{"clientId":1001},"cursor":{"postion":{"journalName":"b.000001","position":4}}},` +
		`{"clientIdentity":{"clientId":1002},"cursor":{"postion":{"journalName":"b.000001","position":9}}}],"destination":"d"}`
	for name, in := range map[string]string{
		"not json":       "journalName=x",
		"no cursor":      `{"clientDatas":[{"clientIdentity":{"clientId":1001}}],"destination":"d"}`,
		"two clients":    two,
		"timestamp only": `{"postion":{"timestamp":1764921600000}}`,
		"no postion":     `{"identity":{}}`,
		"position 0":     `{"postion":{"journalName":"b.000001","position":0}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseCanalPosition([]byte(in)); !errors.Is(err, ErrCanalPosition) {
				t.Fatalf("err = %v, want ErrCanalPosition", err)
			}
		})
	}
}

// TestCheckResyncEpoch: a resync never lets versions go backwards (issue 15 item 6): a lower
// epoch is refused, the same epoch only moving forward in the same binlog sequence.
func TestCheckResyncEpoch(t *testing.T) {
	prev := &checkpoint.State{File: "mysql-bin.000010", Pos: 500, Epoch: 3}
	tests := []struct {
		name   string
		target checkpoint.State
		ok     bool
	}{
		{"higher epoch, lower file (failover)", checkpoint.State{File: "mysql-bin.000002", Pos: 4, Epoch: 4}, true},
		{"same epoch, lower file (failover)", checkpoint.State{File: "mysql-bin.000002", Pos: 4, Epoch: 3}, false},
		{"same epoch, same file, earlier", checkpoint.State{File: "mysql-bin.000010", Pos: 120, Epoch: 3}, false},
		{"same epoch, same file, later", checkpoint.State{File: "mysql-bin.000010", Pos: 900, Epoch: 3}, true},
		{"same epoch, later file", checkpoint.State{File: "mysql-bin.000011", Pos: 4, Epoch: 3}, true},
		{"same epoch, GTID only", checkpoint.State{GTID: "0-1-5", Epoch: 3}, false},
		{"lower epoch, later file", checkpoint.State{File: "mysql-bin.000011", Pos: 4, Epoch: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckResyncEpoch(prev, tt.target)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrVersionsBackwards)) {
				t.Fatalf("CheckResyncEpoch = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if err := CheckResyncEpoch(nil, checkpoint.State{File: "b.000001", Epoch: 0}); err != nil {
		t.Fatalf("no checkpoint: %v", err)
	}
}

func TestNextEpoch(t *testing.T) {
	if e, err := NextEpoch(&checkpoint.State{Epoch: 3}, 0); err != nil || e != 4 {
		t.Fatalf("NextEpoch(3) = %d, %v; want 4", e, err)
	}
	if e, err := NextEpoch(nil, 7); err != nil || e != 7 {
		t.Fatalf("NextEpoch(none, 7) = %d, %v", e, err)
	}
	if _, err := NextEpoch(&checkpoint.State{Epoch: 255}, 0); !errors.Is(err, ErrVersionsBackwards) {
		t.Fatalf("NextEpoch(255) = %v, want ErrVersionsBackwards", err)
	}
}

// TestResyncRefusesBackwards: Resync itself (every caller) refuses a target below the checkpoint.
func TestResyncRefusesBackwards(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	if _, err := Resync(&cfg, checkpoint.State{File: "mysql-bin.000010", Pos: 500, Epoch: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resync(&cfg, checkpoint.State{File: "mysql-bin.000002", Pos: 4, Epoch: 3}); !errors.Is(err, ErrVersionsBackwards) {
		t.Fatalf("backwards resync: %v", err)
	}
	if cp, _ := checkpoint.Load(cfg.DataDir); cp.File != "mysql-bin.000010" {
		t.Fatalf("refused resync changed the checkpoint: %+v", cp)
	}
}
