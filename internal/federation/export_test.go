package federation

import (
	"context"
	"encoding/json"
)

// PushTraceUpdate sends u to peer fp as it is, for tests of what a
// misbehaving peer may push.
func PushTraceUpdate(ctx context.Context, n *Node, fp string, u TraceUpdate) error {
	p, err := n.deliverable(ctx, "test", fp)
	if err != nil {
		return err
	}
	body, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = n.post(ctx, p, TraceUpdatePath, body)
	return err
}
