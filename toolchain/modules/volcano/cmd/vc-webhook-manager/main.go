// vc-webhook-manager: upstream Volcano's admission webhooks. The configmap1980 stand-in is
// registered so the job validation webhook accepts Jobs that list it, as CCE's build does.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"

	"volcano.sh/volcano/cmd/webhook-manager/app"
	"volcano.sh/volcano/cmd/webhook-manager/app/options"
	_ "volcano.sh/volcano/pkg/webhooks/admission/jobs/mutate"
	_ "volcano.sh/volcano/pkg/webhooks/admission/jobs/validate"
	_ "volcano.sh/volcano/pkg/webhooks/admission/podgroups/mutate"
	_ "volcano.sh/volcano/pkg/webhooks/admission/pods/mutate"
	_ "volcano.sh/volcano/pkg/webhooks/admission/pods/validate"
	_ "volcano.sh/volcano/pkg/webhooks/admission/queues/mutate"
	_ "volcano.sh/volcano/pkg/webhooks/admission/queues/validate"

	_ "ascendstack.local/toolchain/volcano/configmap1980"
)

func main() {
	klog.InitFlags(nil)
	config := options.NewConfig()
	config.AddFlags(pflag.CommandLine)
	cliflag.InitFlags()

	if err := config.CheckPortOrDie(); err != nil {
		fail(err)
	}
	if err := config.ParseCAFiles(nil); err != nil {
		fail(err)
	}
	defer klog.Flush()
	if err := app.Run(config); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
