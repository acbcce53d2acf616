package publish

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

var _ Sender = rocketmq.Producer(nil)

// NewProducer starts a RocketMQ producer in group for the name server(s) nameServer that honours
// the publisher's queue choice (QueueSelector); sendTimeout bounds one send call.
func NewProducer(nameServer, group string, sendTimeout time.Duration) (rocketmq.Producer, error) {
	p, err := rocketmq.NewProducer(
		producer.WithNameServer(primitive.NamesrvAddr{nameServer}),
		producer.WithGroupName(group),
		producer.WithInstanceName("ferry-tailer-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36)),
		producer.WithQueueSelector(QueueSelector{}),
		producer.WithSendMsgTimeout(sendTimeout),
		producer.WithRetry(1),
		// No body compression: the broker is local, and zlib was the largest CPU cost per row.
		producer.WithCompressMsgBodyOverHowmuch(1<<30),
	)
	if err != nil {
		return nil, fmt.Errorf("create RocketMQ producer: %w", err)
	}
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start RocketMQ producer (name server %s): %w", nameServer, err)
	}
	return p, nil
}

// QueueSelector picks the queue the publisher chose (stored in Message.Queue.QueueId) from the
// route's queues sorted by broker and queue id. Use it with producer.WithQueueSelector.
type QueueSelector struct{}

var _ producer.QueueSelector = QueueSelector{}

// Select implements producer.QueueSelector.
func (QueueSelector) Select(m *primitive.Message, mqs []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	if len(mqs) == 0 {
		return nil
	}
	sorted := append([]*primitive.MessageQueue(nil), mqs...)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].BrokerName != sorted[j].BrokerName {
			return sorted[i].BrokerName < sorted[j].BrokerName
		}
		return sorted[i].QueueId < sorted[j].QueueId
	})
	q := 0
	if m.Queue != nil {
		q = m.Queue.QueueId
	}
	return sorted[q%len(sorted)]
}
