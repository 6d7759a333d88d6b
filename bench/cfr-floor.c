/* The floor of a single-file copy for bench/run.sh (tool `floor`): SRC to DST with as
 * little as a program can do.  Built by run.sh with `cc -O2` into the scratch directory.
 *   copy_file_range(2) in a loop, as fcopy does on the same filesystem;
 *   EXDEV (a cross-filesystem pair such as ext4 -> tmpfs, refused since Linux 5.19):
 *     sendfile(2), still page cache to page cache inside the kernel, no user-space buffer;
 *   nothing copied at offset 0 (/proc files report size 0): read(2)/write(2) to EOF.
 * No metadata, no checks: a lower bound for the tools' times, not a tool.
 * Usage: cfr-floor SRC DST */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/sendfile.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return fputs("usage: cfr-floor SRC DST\n", stderr), 2;
    int in = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (in < 0) return perror(argv[1]), 1;
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) return perror(argv[2]), 1;
    long long done = 0;
    int kernel_splice = 0;
    ssize_t n;
    for (;;) {
        n = kernel_splice ? sendfile(out, in, NULL, 1 << 30)
                          : copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n < 0 && !kernel_splice && errno == EXDEV) { kernel_splice = 1; continue; }
        if (n < 0) return perror("copy"), 1;
        if (n == 0) break;
        done += n;
    }
    if (done == 0) { /* size-0 files: read to EOF */
        char buf[65536];
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n) return perror(argv[2]), 1;
        if (n < 0) return perror(argv[1]), 1;
    }
    return close(out) ? perror(argv[2]), 1 : 0;
}
