package mq

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// A batch send's body is RocketMQ's batch format (the client's producer.MarshalMessageBatch):
// each message as TOTALSIZE MAGICCODE BODYCRC FLAG BODYSIZE (4 bytes each, big-endian), the
// body, PROPERTYSIZE (2 bytes) and the properties. Building it in place saves a producer a
// buffer per message and the client's copy of every body into the batch.

// frameHeader is the size of a message's fields before its body in a batch body.
const frameHeader = 20

// ErrBatchBody means a batch body does not follow RocketMQ's batch format.
var ErrBatchBody = errors.New("malformed RocketMQ batch body")

// AppendFrame appends one message of a batch body to dst: flag 0, the body that body appends to
// the slice it is given, and props (a message's MarshallProperties). On an error from body or
// properties longer than the format allows, dst comes back as it was.
func AppendFrame(dst []byte, props string, body func([]byte) ([]byte, error)) ([]byte, error) {
	start := len(dst)
	if len(props) > 0xFFFF {
		return dst, fmt.Errorf("append batch message: properties of %d bytes exceed 65535", len(props))
	}
	dst = append(dst, make([]byte, frameHeader)...) // MAGICCODE, BODYCRC and FLAG stay 0
	out, err := body(dst)
	if err != nil {
		return dst[:start], err
	}
	bodyLen := len(out) - start - frameHeader
	out = binary.BigEndian.AppendUint16(out, uint16(len(props)))
	out = append(out, props...)
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start))
	binary.BigEndian.PutUint32(out[start+16:], uint32(bodyLen))
	return out, nil
}

// NewBatch returns the message that sends body, a batch body of messages for queue of topic, in
// one call (a producer sends a Batch message as it is).
func NewBatch(topic string, queue int, body []byte) *primitive.Message {
	m := primitive.NewMessage(topic, body)
	m.Queue = &primitive.MessageQueue{Topic: topic, QueueId: queue}
	m.Batch = true
	return m
}

// Unbatch returns msgs with every Batch message replaced by the messages of its body, each with
// the batch's topic and queue (for senders that look at what is sent, as the broker would store
// it). Bodies are sub-slices of the batch's.
func Unbatch(msgs []*primitive.Message) ([]*primitive.Message, error) {
	var out []*primitive.Message
	for _, m := range msgs {
		if !m.Batch {
			out = append(out, m)
			continue
		}
		parts, err := splitBatch(m)
		if err != nil {
			return nil, err
		}
		out = append(out, parts...)
	}
	return out, nil
}

// splitBatch cuts a batch message's body into its messages.
func splitBatch(batch *primitive.Message) ([]*primitive.Message, error) {
	var out []*primitive.Message
	for b := batch.Body; len(b) > 0; {
		if len(b) < frameHeader+2 {
			return nil, fmt.Errorf("%w: %d bytes left, a message needs %d", ErrBatchBody, len(b), frameHeader+2)
		}
		total, bodyLen := int(binary.BigEndian.Uint32(b)), int(binary.BigEndian.Uint32(b[16:]))
		if total > len(b) || bodyLen > total-frameHeader-2 {
			return nil, fmt.Errorf("%w: message of %d bytes (body %d) in %d bytes", ErrBatchBody, total, bodyLen, len(b))
		}
		propsAt := frameHeader + bodyLen + 2
		if propsAt+int(binary.BigEndian.Uint16(b[propsAt-2:])) != total {
			return nil, fmt.Errorf("%w: sizes of a message do not add up to %d", ErrBatchBody, total)
		}
		m := primitive.NewMessage(batch.Topic, b[frameHeader:frameHeader+bodyLen])
		m.Queue = batch.Queue
		m.Flag = int32(binary.BigEndian.Uint32(b[12:]))
		m.UnmarshalProperties(b[propsAt:total])
		out = append(out, m)
		b = b[total:]
	}
	return out, nil
}
