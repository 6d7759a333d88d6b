/* The floor of the recopy-u row for bench/run.sh (tool `floor`): what `cp -r -u SRC DIR` must
 * ask the kernel when DIR/NAME is already an up-to-date copy of SRC, and nothing more.
 * Built by run.sh with `cc -O2 -pthread` into the scratch directory.
 *   every directory of SRC is listed (getdents64 through readdir);
 *   every entry is lstat'ed (fstatat, AT_SYMLINK_NOFOLLOW) relative to its directory;
 *   every regular file's destination name is lstat'ed the same way, and the mtimes compared;
 *   nothing is opened but directories, nothing written, no message, no plan.
 * One thread per CPU, each taking whole directories from a shared list (a directory is listed
 * and looked at by one thread: two threads in one directory cost more than they gain).
 * A lower bound for the tools' times, not a tool: it copies nothing, so it is a floor only
 * where nothing needs copying; anything it cannot look at (a directory missing or unopenable
 * on either side, a failed lstat) counts as needing a copy, and it then exits 1. Every
 * directory pair listed is opened when found (two descriptors each until visited): for trees
 * of hundreds of directories, not a general tool.
 * Usage: update-floor SRC DEST (DEST: the copy of SRC itself, e.g. DIR/NAME) */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pair { int src, dst; };

static struct pair *todo;
static size_t todo_len, todo_cap, busy;
static long stale;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;

static void push(int src, int dst) {
    pthread_mutex_lock(&lock);
    if (todo_len == todo_cap) {
        todo_cap = todo_cap ? 2 * todo_cap : 256;
        todo = realloc(todo, todo_cap * sizeof *todo);
        if (!todo) perror("realloc"), exit(1);
    }
    todo[todo_len++] = (struct pair){src, dst};
    pthread_cond_signal(&more);
    pthread_mutex_unlock(&lock);
}

/* Looks at one directory pair: its subdirectories are pushed, its files compared. */
static void visit(struct pair p) {
    DIR *dir = fdopendir(p.src);
    if (!dir) perror("fdopendir"), exit(1);
    long newer_src = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        const char *n = e->d_name;
        if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]))) continue;
        struct stat s, d;
        if (fstatat(p.src, n, &s, AT_SYMLINK_NOFOLLOW)) { newer_src++; continue; }
        if (S_ISDIR(s.st_mode)) {
            int cs = openat(p.src, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int cd = openat(p.dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cs >= 0 && cd >= 0) push(cs, cd);
            else { /* missing or unopenable: not an up-to-date copy (or out of descriptors) */
                if (cs >= 0) close(cs);
                if (cd >= 0) close(cd);
                newer_src++;
            }
        } else if (S_ISREG(s.st_mode)) {
            if (fstatat(p.dst, n, &d, AT_SYMLINK_NOFOLLOW) ||
                d.st_mtim.tv_sec < s.st_mtim.tv_sec ||
                (d.st_mtim.tv_sec == s.st_mtim.tv_sec && d.st_mtim.tv_nsec < s.st_mtim.tv_nsec))
                newer_src++;
        }
    }
    closedir(dir);
    close(p.dst);
    pthread_mutex_lock(&lock);
    stale += newer_src;
    pthread_mutex_unlock(&lock);
}

static void *worker(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!todo_len && busy) pthread_cond_wait(&more, &lock);
        if (!todo_len) break; /* nothing listed and nobody listing: done */
        struct pair p = todo[--todo_len];
        busy++;
        pthread_mutex_unlock(&lock);
        visit(p);
        pthread_mutex_lock(&lock);
        busy--;
        if (!todo_len && !busy) pthread_cond_broadcast(&more);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) return fputs("usage: update-floor SRC DEST\n", stderr), 2;
    int src = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dst = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (src < 0 || dst < 0) return perror("open"), 1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1) cpus = 1;
    if (cpus > 64) cpus = 64;
    push(src, dst);
    pthread_t threads[64];
    long started = 1;
    while (started < cpus && pthread_create(&threads[started], NULL, worker, NULL) == 0) started++;
    worker(NULL);
    for (long i = 1; i < started; i++) pthread_join(threads[i], NULL);
    /* A floor for up-to-date trees only: a file to copy means the workload is not one. */
    if (stale) return fprintf(stderr, "update-floor: %ld entries need copying or could not be looked at\n", stale), 1;
    return 0;
}
