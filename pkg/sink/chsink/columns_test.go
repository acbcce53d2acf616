package chsink

import (
	"reflect"
)

// converter turns one event value into the Go value a column buffer holds for it (nil for
// SQL NULL); the unit tests check conversions through it.
type converter func(v *string) (any, error)

// converterFor returns the converter of a copy column: a one-value column buffer from
// columnFor, read back.
func converterFor(chType, mysqlType string) (converter, error) {
	mk, err := columnFor(chType, mysqlType)
	if err != nil {
		return nil, err
	}
	return func(v *string) (any, error) {
		c := mk()
		if err := c.add(v); err != nil {
			return nil, err
		}
		e := reflect.ValueOf(c.data()).Index(0)
		if e.Kind() == reflect.Pointer {
			if e.IsNil() {
				return nil, nil
			}
			e = e.Elem()
		}
		return e.Interface(), nil
	}, nil
}
