import { Picluster } from "./components/picluster";
import { loadConfig } from "./stacks/config";

const config = loadConfig();
const platform = new Picluster("picluster", config);

export const kubeconfig = platform.kubeconfig;
export const nodes = platform.nodes;
