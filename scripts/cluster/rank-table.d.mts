// Types for rank-table.mjs so the TypeScript unit tests can import it under strict mode.
export declare const RING_LABEL: "ring-controller.atlas";
export declare const CONFIGMAP_PREFIX: "rings-config-";
export declare const RANK_TABLE_KEY: "hccl.json";
export declare const INITIALIZING: string;
export declare function rankTableOf(job: Record<string, any>, pods: Record<string, any>[]): Record<string, any> | null;
