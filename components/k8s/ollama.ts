/**
 * The in-cluster address of Ollama, fixed because the worker agents expect it
 * (`ollama-service.ai-services.svc.cluster.local:11434`): the Ollama service
 * creates it, the agents' egress rules and OLLAMA_HOST point at it.
 */
export const OLLAMA_NAMESPACE = "ai-services";
export const OLLAMA_SERVICE = "ollama-service";
export const OLLAMA_PORT = 11434;

export const OLLAMA = {
    namespace: OLLAMA_NAMESPACE,
    port: OLLAMA_PORT,
    url: `http://${OLLAMA_SERVICE}.${OLLAMA_NAMESPACE}.svc.cluster.local:${OLLAMA_PORT}`,
} as const;
