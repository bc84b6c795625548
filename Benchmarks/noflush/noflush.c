/* Measurement only, never in production: preloaded into blobflow by Benchmarks/consumer_bench.py
 * (LD_PRELOAD), it makes syncfs(2) return at once, so that one run shows what the flush that
 * makes checkpoint records durable costs on the disk at hand. */
int syncfs(int fd) {
    (void)fd;
    return 0;
}
