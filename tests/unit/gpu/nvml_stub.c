/* A stand-in libnvidia-ml for CI, which has no GPU: two GPUs, GPU0 with a pending row remap,
 * GPU1 lost (GPU_IS_LOST on every per-field call). It deliberately lacks
 * nvmlDeviceGetCurrentClocksEventReasons (old driver: the payload must fall back to the
 * ThrottleReasons symbol) and nvmlDeviceGetFieldValues (no recovery action: "no_symbol").
 * Fabric: GPU0 answers nvmlDeviceGetGpuFabricInfoV (v2 struct; it checks the version word the
 * caller must set) with COMPLETED/SUCCESS, clique 7; GPU1 is lost. NVLink error counters: link 1
 * has 5 replays, CRC data is NOT_SUPPORTED (as on Hopper). -DFABRIC_V1: only the older
 * nvmlDeviceGetGpuFabricInfo exists, answering COMPLETED with an error status.
 * Built with -DHANG, nvmlInit_v2 never returns: a sick driver. Return codes as in nvml.h. */
#include <string.h>
#include <unistd.h>

#define OK 0
#define INVALID_ARGUMENT 2
#define NOT_SUPPORTED 3
#define INSUFFICIENT_SIZE 7
#define GPU_IS_LOST 15
typedef unsigned int u32;
typedef unsigned long long u64;
static long gpu(void *h) { return (long)h - 1; }

int nvmlInit_v2(void) {
#ifdef HANG
    for (;;) sleep(1000);
#endif
    return OK;
}
int nvmlShutdown(void) { return OK; }
int nvmlSystemGetDriverVersion(char *b, u32 n) { strncpy(b, "999.1.2", n); return OK; }
int nvmlSystemGetCudaDriverVersion_v2(int *v) { *v = 12040; return OK; }
int nvmlDeviceGetCount_v2(u32 *n) { *n = 2; return OK; }
int nvmlDeviceGetHandleByIndex_v2(u32 i, void **h) { *h = (void *)(long)(i + 1); return OK; }
int nvmlDeviceGetUUID(void *h, char *b, u32 n) {
    strncpy(b, gpu(h) ? "GPU-stub-1" : "GPU-stub-0", n); return OK;
}
int nvmlDeviceGetName(void *h, char *b, u32 n) { strncpy(b, "Stub GPU", n); return OK; }
int nvmlDeviceGetPciInfo_v3(void *h, char *info) {
    strcpy(info + 36, gpu(h) ? "00000000:3C:00.0" : "00000000:3B:00.0"); return OK;
}
#define SCALAR(name, type, value) \
    int name(void *h, type *v) { if (gpu(h)) return GPU_IS_LOST; *v = value; return OK; }
SCALAR(nvmlDeviceGetPowerUsage, u32, 350000)
SCALAR(nvmlDeviceGetEnforcedPowerLimit, u32, 700000)
SCALAR(nvmlDeviceGetCurrentClocksThrottleReasons, u64, 0x4)
SCALAR(nvmlDeviceGetCurrPcieLinkGeneration, u32, 5)
SCALAR(nvmlDeviceGetMaxPcieLinkGeneration, u32, 5)
SCALAR(nvmlDeviceGetCurrPcieLinkWidth, u32, 16)
SCALAR(nvmlDeviceGetMaxPcieLinkWidth, u32, 16)
SCALAR(nvmlDeviceGetPcieReplayCounter, u32, 0)
SCALAR(nvmlDeviceGetPersistenceMode, u32, 1)
int nvmlDeviceGetTemperature(void *h, int s, u32 *v) { if (gpu(h)) return GPU_IS_LOST; *v = 50; return OK; }
int nvmlDeviceGetTemperatureThreshold(void *h, int t, u32 *v) {
    if (gpu(h)) return GPU_IS_LOST; *v = t == 0 ? 95 : 89; return OK;
}
int nvmlDeviceGetTotalEccErrors(void *h, int e, int c, u64 *v) {
    if (gpu(h)) return GPU_IS_LOST; *v = 0; return OK;
}
int nvmlDeviceGetRetiredPages(void *h, int c, u32 *n, u64 *a) { return NOT_SUPPORTED; }
int nvmlDeviceGetRemappedRows(void *h, u32 *c, u32 *u, u32 *p, u32 *f) {
    if (gpu(h)) return GPU_IS_LOST; *c = 0; *u = 1; *p = 1; *f = 0; return OK;
}
int nvmlDeviceGetEccMode(void *h, u32 *c, u32 *p) { *c = *p = 1; return OK; }
int nvmlDeviceGetMigMode(void *h, u32 *c, u32 *p) { return NOT_SUPPORTED; }
int nvmlDeviceGetUtilizationRates(void *h, u32 *u) { u[0] = 0; u[1] = 0; return OK; }
int nvmlDeviceGetNvLinkState(void *h, u32 link, u32 *a) {
    if (link >= 4) return INVALID_ARGUMENT;
    *a = link != 2; return OK;
}
int nvmlDeviceGetComputeRunningProcesses_v3(void *h, u32 *n, void *p) { *n = 0; return OK; }
int nvmlDeviceGetNvLinkErrorCounter(void *h, u32 link, int counter, u64 *v) {
    if (counter == 3) return NOT_SUPPORTED;
    *v = (link == 1 && counter == 0) ? 5 : 0; return OK;
}
typedef struct {
    u32 version; unsigned char clusterUuid[16]; u32 status; u32 cliqueId;
    unsigned char state; u32 healthMask;
} FabricV2;
#ifdef FABRIC_V1
/* A driver with only the older call: nvmlGpuFabricInfo_t, no version word. */
typedef struct { unsigned char clusterUuid[16]; u32 status; u32 cliqueId; unsigned char state; } FabricV1;
int nvmlDeviceGetGpuFabricInfo(void *h, FabricV1 *f) {
    if (gpu(h)) return GPU_IS_LOST;
    f->status = 15; f->cliqueId = 3; f->state = 3; return OK;  /* COMPLETED with GPU_IS_LOST */
}
#else
int nvmlDeviceGetGpuFabricInfoV(void *h, FabricV2 *f) {
    if (gpu(h)) return GPU_IS_LOST;
    if (f->version != (sizeof(FabricV2) | (2u << 24))) return INVALID_ARGUMENT;
    memset(f->clusterUuid, 0, 16); f->status = OK; f->cliqueId = 7; f->state = 3; f->healthMask = 0;
    return OK;
}
#endif
