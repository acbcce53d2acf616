package stacktest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestRedisRoundTrip sets, reads and expires a key on the stack's Redis.
func TestRedisRoundTrip(t *testing.T) {
	s := testenv.Get(t)
	c := redis.NewClient(&redis.Options{Addr: s.RedisAddr, DialTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := testenv.UniqueName("stacktest")
	if err := c.Set(ctx, key, "stock:17", time.Minute).Err(); err != nil {
		t.Fatalf("SET: %v (is Redis up? scripts/stack status)", err)
	}
	t.Cleanup(func() { c.Del(context.Background(), key) })
	got, err := c.Get(ctx, key).Result()
	if err != nil || got != "stock:17" {
		t.Fatalf("GET = %q, %v; want stock:17", got, err)
	}
	counter := testenv.UniqueName("stacktest_counter")
	t.Cleanup(func() { c.Del(context.Background(), counter) })
	if n, err := c.Decr(ctx, counter).Result(); err != nil || n != -1 {
		t.Fatalf("DECR on a new key = %d, %v; want -1", n, err)
	}
	if ttl, err := c.TTL(ctx, key).Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL = %s, %v; want within (0, 1m]", ttl, err)
	}
}
