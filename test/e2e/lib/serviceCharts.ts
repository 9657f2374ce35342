/**
 * The upstream charts the platform services install, as `name@version`: the
 * chart names the components use, at the versions the config contract pins
 * by default. The e2e chart repository serves exactly these, from the chart
 * cache (test/e2e/lib/chartrepo.sh, docs/charts.md).
 *
 *   npx tsx test/e2e/lib/serviceCharts.ts   prints them, one a line (.ci/e2e.sh)
 */
import { servicesSchema } from "../../../config/schema/services";

export function serviceCharts(): string[] {
    const d = servicesSchema.parse({});
    return [
        `ollama@${d.ollama.version}`,
        `cloudnative-pg@${d.postgres.operatorVersion}`,
        `cluster@${d.postgres.clusterVersion}`,
        `rocketchat@${d.rocketchat.version}`,
        `kube-prometheus-stack@${d.monitoring.version}`,
    ];
}

if (require.main === module) process.stdout.write(serviceCharts().join("\n") + "\n");
