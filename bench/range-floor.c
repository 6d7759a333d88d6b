/* The floor of the `range` row of bench/run.sh: LEN bytes at OFF_IN of SRC written over
 * DEST (existing, not truncated) at OFF_OUT, with one mechanism and as little else as a
 * program can do.  Shows what the kernel path itself costs, apart from any tool.
 *   cfr   copy_file_range(2) in pieces of CHUNK bytes (the kernel splices through its own
 *         64 KiB pipe when the filesystem cannot share blocks)
 *   rw    pread(2)/pwrite(2) through a page-aligned CHUNK-byte buffer (what dd bs=CHUNK does)
 *   rwu   rw with the buffer 16 bytes past a page boundary (where malloc puts a large block)
 *   send  sendfile(2) in pieces of CHUNK bytes (the same internal pipe as cfr)
 *   splice  splice(2) through a pipe of CHUNK bytes (F_SETPIPE_SZ): the kernel's own path,
 *         but with pieces of CHUNK bytes instead of copy_file_range's 64 KiB
 * Usage: range-floor cfr|rw|rwu|send|splice CHUNK OFF_IN LEN OFF_OUT SRC DEST
 * Build: cc -O2 -o range-floor bench/range-floor.c */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 8)
        return fputs("usage: range-floor cfr|rw|rwu|send|splice CHUNK OFF_IN LEN OFF_OUT SRC DEST\n", stderr), 2;
    const char *mode = argv[1];
    size_t chunk = strtoull(argv[2], NULL, 0);
    off_t in_at = strtoll(argv[3], NULL, 0), out_at = strtoll(argv[5], NULL, 0);
    long long left = strtoll(argv[4], NULL, 0);
    int in = open(argv[6], O_RDONLY | O_CLOEXEC);
    if (in < 0) return perror(argv[6]), 1;
    int out = open(argv[7], O_WRONLY | O_CLOEXEC);
    if (out < 0) return perror(argv[7]), 1;
    char *buf = NULL;
    int unaligned = !strcmp(mode, "rwu");
    if ((unaligned || !strcmp(mode, "rw")) && posix_memalign((void **)&buf, 4096, chunk + 4096))
        return perror("posix_memalign"), 1;
    if (unaligned) buf += 16;
    int pfd[2];
    if (!strcmp(mode, "splice")) {
        if (pipe2(pfd, O_CLOEXEC) < 0) return perror("pipe2"), 1;
        if (fcntl(pfd[1], F_SETPIPE_SZ, (int)chunk) < 0) return perror("F_SETPIPE_SZ"), 1;
    }
    if (!strcmp(mode, "send") && lseek(out, out_at, SEEK_SET) < 0) return perror("lseek"), 1;
    while (left > 0) {
        size_t ask = left < (long long)chunk ? (size_t)left : chunk;
        ssize_t n;
        if (!strcmp(mode, "cfr")) {
            n = copy_file_range(in, &in_at, out, &out_at, ask, 0);
        } else if (!strcmp(mode, "splice")) {
            n = splice(in, &in_at, pfd[1], NULL, ask, SPLICE_F_MOVE);
            for (ssize_t left_in_pipe = n; left_in_pipe > 0;) {
                ssize_t m = splice(pfd[0], NULL, out, &out_at, (size_t)left_in_pipe, SPLICE_F_MOVE);
                if (m <= 0) return perror("splice out"), 1;
                left_in_pipe -= m;
            }
        } else if (!strcmp(mode, "send")) {
            n = sendfile(out, in, &in_at, ask);
        } else {
            n = pread(in, buf, ask, in_at);
            if (n > 0) {
                if (pwrite(out, buf, (size_t)n, out_at) != n) return perror("pwrite"), 1;
                in_at += n, out_at += n;
            }
        }
        if (n < 0) return perror(mode), 1;
        if (n == 0) return fputs("source ended\n", stderr), 1;
        left -= n;
    }
    return close(out) ? perror(argv[7]), 1 : 0;
}
