/*
 * slowfs: a FUSE passthrough that sleeps a fixed time in every file operation before doing it
 * in a backing folder. It stands in for a network share (Azure Files), where every open, close,
 * rename, unlink and flush is a round trip. Written in C so that the stand-in itself costs next to
 * no CPU: a passthrough in Python spent more than one core of a 2-core machine at ~4,500
 * operations per second and became the bottleneck it was meant to measure.
 *
 * Usage: slowfs BACKING MOUNTPOINT DELAY_MS [FUSE options...]
 * Built and run by Benchmarks/share_latency_bench.py (libfuse3-dev, fuse3).
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char backing[PATH_MAX];
static struct timespec delay;

/* Every operation waits the share's round trip first. */
static void round_trip(void) {
    struct timespec left = delay;
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

static void full_path(char out[PATH_MAX], const char *path) {
    round_trip();
    snprintf(out, PATH_MAX, "%s%s", backing, path);
}

static int slow_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    char full[PATH_MAX];
    full_path(full, path);
    (void)fi;
    return lstat(full, st) == 0 ? 0 : -errno;
}

static int slow_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
                        struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
    char full[PATH_MAX];
    full_path(full, path);
    (void)offset;
    (void)fi;
    (void)flags;
    DIR *dir = opendir(full);
    if (dir == NULL) return -errno;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (fill(buf, entry->d_name, NULL, 0, 0)) break;
    }
    closedir(dir);
    return 0;
}

static int slow_mkdir(const char *path, mode_t mode) {
    char full[PATH_MAX];
    full_path(full, path);
    return mkdir(full, mode) == 0 ? 0 : -errno;
}

static int slow_rmdir(const char *path) {
    char full[PATH_MAX];
    full_path(full, path);
    return rmdir(full) == 0 ? 0 : -errno;
}

static int slow_unlink(const char *path) {
    char full[PATH_MAX];
    full_path(full, path);
    return unlink(full) == 0 ? 0 : -errno;
}

static int slow_rename(const char *from, const char *to, unsigned int flags) {
    char source[PATH_MAX], destination[PATH_MAX];
    if (flags != 0) return -EINVAL;
    full_path(source, from);
    snprintf(destination, PATH_MAX, "%s%s", backing, to);
    return rename(source, destination) == 0 ? 0 : -errno;
}

static int slow_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
    char full[PATH_MAX];
    full_path(full, path);
    (void)fi;
    return utimensat(AT_FDCWD, full, tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int slow_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
    char full[PATH_MAX];
    full_path(full, path);
    (void)fi;
    return chmod(full, mode) == 0 ? 0 : -errno;
}

static int slow_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
    if (fi != NULL) {
        round_trip();
        return ftruncate((int)fi->fh, size) == 0 ? 0 : -errno;
    }
    char full[PATH_MAX];
    full_path(full, path);
    return truncate(full, size) == 0 ? 0 : -errno;
}

static int slow_statfs(const char *path, struct statvfs *st) {
    char full[PATH_MAX];
    full_path(full, path);
    return statvfs(full, st) == 0 ? 0 : -errno;
}

static int slow_open(const char *path, struct fuse_file_info *fi) {
    char full[PATH_MAX];
    full_path(full, path);
    int fd = open(full, fi->flags);
    if (fd < 0) return -errno;
    fi->fh = (uint64_t)fd;
    return 0;
}

/* The kernel asks only after its lookup missed; O_EXCL keeps two racing creators apart. */
static int slow_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    char full[PATH_MAX];
    full_path(full, path);
    int fd = open(full, fi->flags | O_CREAT, mode);
    if (fd < 0) return -errno;
    fi->fh = (uint64_t)fd;
    return 0;
}

static int slow_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
    (void)path;
    round_trip();
    ssize_t count = pread((int)fi->fh, buf, size, offset);
    return count < 0 ? -errno : (int)count;
}

static int slow_write(const char *path, const char *buf, size_t size, off_t offset,
                      struct fuse_file_info *fi) {
    (void)path;
    round_trip();
    ssize_t count = pwrite((int)fi->fh, buf, size, offset);
    return count < 0 ? -errno : (int)count;
}

static int slow_flush(const char *path, struct fuse_file_info *fi) {
    (void)path;
    (void)fi;
    round_trip();
    return 0;
}

static int slow_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
    (void)path;
    round_trip();
    int result = datasync ? fdatasync((int)fi->fh) : fsync((int)fi->fh);
    return result == 0 ? 0 : -errno;
}

static int slow_release(const char *path, struct fuse_file_info *fi) {
    (void)path;
    round_trip();
    close((int)fi->fh);
    return 0;
}

static const struct fuse_operations operations = {
    .getattr = slow_getattr,
    .readdir = slow_readdir,
    .mkdir = slow_mkdir,
    .rmdir = slow_rmdir,
    .unlink = slow_unlink,
    .rename = slow_rename,
    .utimens = slow_utimens,
    .chmod = slow_chmod,
    .truncate = slow_truncate,
    .statfs = slow_statfs,
    .open = slow_open,
    .create = slow_create,
    .read = slow_read,
    .write = slow_write,
    .flush = slow_flush,
    .fsync = slow_fsync,
    .release = slow_release,
};

int main(int argc, char *argv[]) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s BACKING MOUNTPOINT DELAY_MS [FUSE options...]\n", argv[0]);
        return 2;
    }
    if (realpath(argv[1], backing) == NULL) {
        perror(argv[1]);
        return 2;
    }
    double milliseconds = atof(argv[3]);
    delay.tv_sec = (time_t)(milliseconds / 1000);
    delay.tv_nsec = (long)((milliseconds - (double)delay.tv_sec * 1000) * 1e6);
    /* fuse_main sees: PROGRAM MOUNTPOINT -f [options]; every request runs on its own thread. */
    char *args[64];
    int count = 0;
    args[count++] = argv[0];
    args[count++] = argv[2];
    args[count++] = "-f";
    args[count++] = "-o";
    args[count++] = "max_threads=256";
    for (int i = 4; i < argc && count < 63; i++) args[count++] = argv[i];
    args[count] = NULL;
    return fuse_main(count, args, &operations, NULL);
}
