// Package mq holds Ferry's small helpers around Apache RocketMQ and
// rocketmq-client-go/v2: routing the client library's logrus output into a
// *slog.Logger (SetLogger), creating a topic and confirming it at the name
// server (EnsureTopic), reading a topic's queue count (QueueCount), and building and taking
// apart batch-send bodies in RocketMQ's batch format (AppendFrame, NewBatch, Unbatch).
//
// rocketmq-client-go's admin.CreateTopic ignores the broker's response code,
// so EnsureTopic never trusts it: a topic exists when the name server returns
// a route with the requested number of write queues.
package mq
