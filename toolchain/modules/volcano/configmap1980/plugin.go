package configmap1980

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	batch "volcano.sh/apis/pkg/apis/batch/v1alpha1"
	"volcano.sh/volcano/pkg/controllers/job/plugins"
	pluginsinterface "volcano.sh/volcano/pkg/controllers/job/plugins/interface"
)

const (
	// Name is the plugin name CCE's Volcano registers and Jobs list in spec.plugins.
	Name = "configmap1980"
	// ConfigMapPrefix names the job's rank-table ConfigMap: configmap1980-<job>.
	ConfigMapPrefix = "configmap1980-"
	// DataKey is the ConfigMap key holding the rank table.
	DataKey = "jobstart_hccl.json"
	// ProfileLabel is the job label naming the accelerator profile (ascend-1980), which also names
	// the device plugin's pod annotation cce.kubectl.kubernetes.io/<profile>-configuration.
	ProfileLabel   = "ring-controller.cce"
	defaultProfile = "ascend-1980"
	pollInterval   = time.Second
	// initializing is the table's content while the job's pods are not all placed (the manual's
	// initial ConfigMap content): a restarted or re-created job never reads its predecessor's table.
	initializing = "{\n    \"status\":\"initializing\"\n}\n"
)

// Registered in both the controller build (which runs it) and the webhook build (whose job
// validation rejects plugin names it does not know).
func init() { plugins.RegisterPluginBuilder(Name, New) }

type plugin struct {
	client kubernetes.Interface
	argErr error
}

// New builds the plugin for one job from its arguments; only --rank-table-version=v2 is supported.
func New(client pluginsinterface.PluginClientset, arguments []string) pluginsinterface.PluginInterface {
	p := &plugin{client: client.KubeClients}
	for _, arg := range arguments {
		value, ok := strings.CutPrefix(arg, "--rank-table-version=")
		if !ok {
			p.argErr = fmt.Errorf("%s: unknown argument %q (supported: --rank-table-version=v2)", Name, arg)
			continue
		}
		if value != "v2" {
			p.argErr = fmt.Errorf("%s: rank table version %q is not supported by this stand-in (only v2)", Name, value)
		}
	}
	return p
}

func (p *plugin) Name() string { return Name }

func (p *plugin) OnPodCreate(*v1.Pod, *batch.Job) error { return nil }

func (p *plugin) OnJobAdd(job *batch.Job) error { return p.watch(job) }

func (p *plugin) OnJobUpdate(job *batch.Job) error { return p.watch(job) }

// OnJobDelete runs when the controller kills the job's pods (deletion, restart): the watcher stops;
// a restarted job is watched again from OnJobAdd and gets a table for its new pods.
func (p *plugin) OnJobDelete(job *batch.Job) error {
	stop(job.UID)
	return nil
}

// One watcher per job UID. A restart keeps the UID: OnJobDelete stops the watcher and OnJobAdd
// starts a new one, so an old watcher that is still finishing must not remove its successor.
var (
	mu       sync.Mutex
	watchers = map[types.UID]*watcher{}
)

func (p *plugin) watch(job *batch.Job) error {
	if p.argErr != nil {
		return p.argErr
	}
	if p.client == nil {
		return fmt.Errorf("%s: no Kubernetes client", Name)
	}
	mu.Lock()
	defer mu.Unlock()
	if _, running := watchers[job.UID]; running {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{client: p.client, namespace: job.Namespace, name: job.Name, uid: job.UID, cancel: cancel}
	watchers[job.UID] = w
	go w.run(ctx)
	klog.Infof("%s: watching job %s/%s for its rank table", Name, job.Namespace, job.Name)
	return nil
}

// stop cancels the job's watcher.
func stop(uid types.UID) {
	mu.Lock()
	defer mu.Unlock()
	if w, ok := watchers[uid]; ok {
		w.cancel()
		delete(watchers, uid)
	}
}

// release forgets w when it ends by itself (its job is gone), unless a successor took its place.
func release(w *watcher) {
	mu.Lock()
	defer mu.Unlock()
	if watchers[w.uid] == w {
		delete(watchers, w.uid)
	}
	w.cancel()
}

type watcher struct {
	client          kubernetes.Interface
	namespace, name string
	uid             types.UID
	cancel          context.CancelFunc
	written         string
	lastProblem     string
}

func (w *watcher) run(ctx context.Context) {
	defer release(w)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		done, err := w.step(ctx)
		// Each problem is logged once, not once a second while it lasts.
		if problem := fmt.Sprint(err); err != nil && problem != w.lastProblem {
			klog.Warningf("%s: job %s/%s: %v", Name, w.namespace, w.name, err)
			w.lastProblem = problem
		} else if err == nil {
			w.lastProblem = ""
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// step makes one attempt; done is true once the job is gone (or replaced by one with another UID).
func (w *watcher) step(ctx context.Context) (done bool, err error) {
	job, err := w.job(ctx)
	if apierrors.IsNotFound(err) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if job.UID != w.uid {
		return true, nil
	}
	members, ready, err := w.members(ctx, job)
	if err != nil {
		return false, err
	}
	if !ready {
		return false, w.write(ctx, initializing)
	}
	table, err := Build(members)
	if err != nil {
		return false, err
	}
	text, err := Render(table)
	if err != nil {
		return false, err
	}
	return false, w.write(ctx, text)
}

// job reads the Volcano Job through the core REST client (the plugin is handed a kube clientset only).
func (w *watcher) job(ctx context.Context) (*batch.Job, error) {
	path := fmt.Sprintf("/apis/batch.volcano.sh/v1alpha1/namespaces/%s/jobs/%s", w.namespace, w.name)
	raw, err := w.client.CoreV1().RESTClient().Get().AbsPath(path).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	job := &batch.Job{}
	return job, json.Unmarshal(raw, job)
}

// members lists the job's live pods; ready is false until there is one per replica and each is bound
// and annotated by the device plugin.
func (w *watcher) members(ctx context.Context, job *batch.Job) ([]Member, bool, error) {
	pods, err := w.client.CoreV1().Pods(w.namespace).List(ctx, metav1.ListOptions{LabelSelector: batch.JobNameKey + "=" + w.name})
	if err != nil {
		return nil, false, err
	}
	order := map[string]int{}
	want := 0
	for i, t := range job.Spec.Tasks {
		order[t.Name] = i
		want += int(t.Replicas)
	}
	profile := job.Labels[ProfileLabel]
	if profile == "" {
		profile = defaultProfile
	}
	key := "cce.kubectl.kubernetes.io/" + profile + "-configuration"
	var members []Member
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !ownedBy(pod, w.uid) || pod.DeletionTimestamp != nil || pod.Status.Phase == v1.PodFailed || pod.Status.Phase == v1.PodSucceeded {
			continue
		}
		value, annotated := pod.Annotations[key]
		if pod.Spec.NodeName == "" || !annotated {
			return nil, false, nil
		}
		var a DeviceAnnotation
		if err := json.Unmarshal([]byte(value), &a); err != nil {
			return nil, false, fmt.Errorf("pod %s: annotation %s: %v", pod.Name, key, err)
		}
		index, err := strconv.Atoi(pod.Annotations[batch.TaskIndex])
		if err != nil {
			return nil, false, fmt.Errorf("pod %s: no task index annotation", pod.Name)
		}
		task, ok := order[pod.Annotations[batch.TaskSpecKey]]
		if !ok {
			return nil, false, fmt.Errorf("pod %s: task %q is not in the job", pod.Name, pod.Annotations[batch.TaskSpecKey])
		}
		members = append(members, Member{TaskOrder: task, TaskIndex: index, Annotation: a})
	}
	return members, len(members) == want, nil
}

func ownedBy(pod *v1.Pod, uid types.UID) bool {
	for _, ref := range pod.OwnerReferences {
		if ref.UID == uid {
			return true
		}
	}
	return false
}

// write puts text into the ConfigMap unless it holds it already (or, for the initializing table,
// any table whose status is initializing).
func (w *watcher) write(ctx context.Context, text string) error {
	if text == w.written {
		return nil
	}
	cms := w.client.CoreV1().ConfigMaps(w.namespace)
	cm, err := cms.Get(ctx, ConfigMapPrefix+w.name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("rank-table ConfigMap: %v", err)
	}
	if cm.Data[DataKey] != text && !(text == initializing && statusOf(cm.Data[DataKey]) == "initializing") {
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[DataKey] = text
		if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("rank-table ConfigMap: %v", err)
		}
		klog.Infof("%s: wrote the %s rank table of job %s/%s into %s", Name, statusOf(text), w.namespace, w.name, cm.Name)
	}
	w.written = text
	return nil
}

func statusOf(table string) string {
	var t struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal([]byte(table), &t)
	return t.Status
}
