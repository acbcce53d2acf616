package service

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// dbTime scans DATETIME/TIMESTAMP columns whether or not the DSN sets parseTime=true (times are
// UTC in this schema). Valid is false for NULL.
type dbTime struct {
	T     time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.T, d.Valid = time.Time{}, false
		return nil
	case time.Time:
		d.T, d.Valid = x.UTC(), true
		return nil
	case []byte:
		return d.parse(string(x))
	case string:
		return d.parse(x)
	}
	return fmt.Errorf("scan time: unsupported %T", v)
}

func (d *dbTime) parse(s string) error {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("scan time %q: %w", s, err)
	}
	d.T, d.Valid = t, true
	return nil
}

// ptr returns nil for NULL.
func (d dbTime) ptr() *time.Time {
	if !d.Valid {
		return nil
	}
	t := d.T
	return &t
}

// Value implements driver.Valuer (unused by queries but keeps the type symmetric).
func (d dbTime) Value() (driver.Value, error) {
	if !d.Valid {
		return nil, nil
	}
	return d.T, nil
}
