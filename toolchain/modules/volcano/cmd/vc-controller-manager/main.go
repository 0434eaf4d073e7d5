// vc-controller-manager: upstream Volcano's controllers (job, podgroup, queue, ...) with the
// configmap1980 job plugin stand-in registered next to upstream's env, svc, ssh, ... plugins.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	componentbaseoptions "k8s.io/component-base/config/options"
	"k8s.io/klog/v2"

	"volcano.sh/volcano/cmd/controller-manager/app"
	"volcano.sh/volcano/cmd/controller-manager/app/options"
	"volcano.sh/volcano/pkg/controllers/framework"
	_ "volcano.sh/volcano/pkg/controllers/garbagecollector"
	_ "volcano.sh/volcano/pkg/controllers/job"
	_ "volcano.sh/volcano/pkg/controllers/jobflow"
	_ "volcano.sh/volcano/pkg/controllers/jobtemplate"
	_ "volcano.sh/volcano/pkg/controllers/podgroup"
	_ "volcano.sh/volcano/pkg/controllers/queue"
	commonutil "volcano.sh/volcano/pkg/util"

	_ "ascendstack.local/toolchain/volcano/configmap1980"
)

func main() {
	klog.InitFlags(nil)
	var controllers []string
	framework.ForeachController(func(c framework.Controller) { controllers = append(controllers, c.Name()) })

	opts := options.NewServerOption()
	opts.AddFlags(pflag.CommandLine, controllers)
	utilfeature.DefaultMutableFeatureGate.AddFlag(pflag.CommandLine)
	commonutil.LeaderElectionDefault(&opts.LeaderElection)
	opts.LeaderElection.ResourceName = "vc-controller-manager"
	componentbaseoptions.BindLeaderElectionFlags(&opts.LeaderElection, pflag.CommandLine)
	cliflag.InitFlags()

	if err := opts.CheckOptionOrDie(); err != nil {
		fail(err)
	}
	if opts.CaCertFile != "" && opts.CertFile != "" && opts.KeyFile != "" {
		if err := opts.ParseCAFiles(nil); err != nil {
			fail(err)
		}
	}
	defer klog.Flush()
	if err := app.Run(opts); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
