package configmap1980

import "testing"

func TestAFinishingWatcherDoesNotRemoveItsSuccessor(t *testing.T) {
	old := &watcher{uid: "job-uid", cancel: func() {}}
	successor := &watcher{uid: "job-uid", cancel: func() {}}
	watchers["job-uid"] = successor
	release(old)
	if watchers["job-uid"] != successor {
		t.Fatal("the old watcher removed its successor")
	}
	release(successor)
	if _, ok := watchers["job-uid"]; ok {
		t.Fatal("a watcher that ends by itself must be forgotten")
	}
}
