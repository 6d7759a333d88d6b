//! Running copy jobs on worker threads (`-j N`): a bounded queue in, completions out in the order
//! they finish. The caller owns all reporting; workers only run the engine.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::Scope;
use std::time::{Duration, Instant};

use crate::exec::{self, Engine, JobError, Outcome};
use crate::plan::Job;

/// What the caller needs back when a job finishes, besides the outcome.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The directory (tree walk frame) the job's destination is in.
    pub dir_token: Option<u64>,
    /// Record the destination as a hard-link target for this source (dev, ino).
    pub link_key: Option<(u64, u64)>,
    /// The destination did not exist before (for "just-created" checks).
    pub creates: bool,
    /// The old destination was renamed to this backup name first: put back if the copy fails.
    pub backup: Option<std::ffi::OsString>,
    /// The job's key among the destinations being written (set when it is handed to the
    /// workers; see `drive`'s `in_flight`).
    pub dest_key: Option<u64>,
    /// The job's time is wanted (`--json`'s `elapsed_ms`); otherwise [`Done::elapsed`] is zero
    /// and no clock is read (two `clock_gettime` calls a file).
    pub timed: bool,
    /// DEST was removed for this job (`--remove-destination`, `-f` on a DEST that could not be
    /// opened): the caller runs it at once instead of queueing it, so a stop signal cannot
    /// leave DEST removed and never copied (red team, round 9: `-j2 --remove-destination`
    /// stopped while a worker waited on a FIFO left the other DESTs of its hand-off deleted).
    pub run_here: bool,
    /// The `--batch` line the job came from (its `--json` records name it when it finishes).
    pub batch_line: Option<u64>,
}

/// A finished job. The job stays boxed from planner to report: what crosses the channels is a
/// few words per job, which keeps the workers from growing heaps of their own.
pub struct Done {
    pub job: Box<Job>,
    pub context: Context,
    pub result: Result<Outcome, JobError>,
    /// How long the job ran; zero unless [`Context::timed`].
    pub elapsed: Duration,
}

/// Runs `job` with `engine`, timed when `context` asks for it.
pub fn run_timed(engine: &Engine<'_>, job: Box<Job>, context: Context) -> Done {
    let (result, elapsed) = run_job_timed(engine, &job, context.timed);
    Done {
        job,
        context,
        result,
        elapsed,
    }
}

/// Runs `job`; its time when `timed`, else zero (no clock read).
fn run_job_timed(
    engine: &Engine<'_>,
    job: &Job,
    timed: bool,
) -> (Result<Outcome, JobError>, Duration) {
    let started = timed.then(Instant::now);
    let result = exec::run_job(engine, job);
    (result, started.map_or(Duration::ZERO, |t| t.elapsed()))
}

/// One job of a hand-off: the job and its context go to a worker, and its result comes back
/// in the same place. The workers then allocate nothing per hand-off: a separate list of
/// results, made in each worker's own malloc arena, was 30 KB per 128 jobs there and about
/// 0.15 MB of the 10,000-file tree's peak RSS with `-j3` (issue 16, goal 6).
pub struct Slot {
    pub job: Box<Job>,
    pub context: Context,
    /// The result and the job's time, once a worker has run it.
    ran: Option<(Result<Outcome, JobError>, Duration)>,
}

impl Slot {
    /// A job not yet run.
    pub fn new(job: Box<Job>, context: Context) -> Slot {
        Slot {
            job,
            context,
            ran: None,
        }
    }

    /// Runs the job here (a worker, or the caller when it has no workers).
    fn run(&mut self, engine: &Engine<'_>) {
        self.ran = Some(run_job_timed(engine, &self.job, self.context.timed));
    }

    /// The finished job.
    fn into_done(self) -> Done {
        let (result, elapsed) = self
            .ran
            .expect("a worker runs every job of a hand-off before it sends the hand-off back");
        Done {
            job: self.job,
            context: self.context,
            result,
            elapsed,
        }
    }
}

/// How many workers the open-file limit leaves room for: each may hold a source, a destination
/// and a directory open at once, and the walk needs its own (at least a few levels of source and
/// destination directories, plus standard streams). With GNU cp's needs (a handful of fds) as
/// the floor, a low `ulimit -n` means fewer workers, down to none (jobs run on the main thread).
pub fn workers_within_fd_limit(requested: usize) -> usize {
    let limit = open_file_limit();
    // Half of what is left over is the workers'; the walk has the other half.
    let spare = limit.saturating_sub(fd_reserve(limit)) / 2 / FDS_PER_WORKER;
    requested.min(spare as usize)
}

/// Descriptors kept aside for standard streams, jobs run on the main thread and the walk's
/// passing needs: [`WALK_FD_RESERVE`], or half the limit when it is that low.
pub fn fd_reserve(limit: u64) -> u64 {
    WALK_FD_RESERVE.min(limit / 2)
}

/// Descriptors a worker may hold at once: source, destination, its directory (`--sync`,
/// `--atomic`) and one to spare.
pub const FDS_PER_WORKER: u64 = 4;

/// Descriptors kept for the walk and the main thread: standard streams, a few directory levels
/// (source and destination) and the main thread's own jobs.
pub const WALK_FD_RESERVE: u64 = 24;

/// The soft `RLIMIT_NOFILE` (`ulimit -n`); unlimited counts as 2^20.
pub fn open_file_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(1 << 20)
}

/// Address space one worker may take: a glibc malloc arena's reservation (64 MiB, glibc's
/// `HEAP_MAX_SIZE` on 64-bit; made when the worker first allocates, if it fits under the limit),
/// its stack (256 KiB) and its copy buffer (256 KiB), rounded up.
pub const WORKER_ADDRESS_SPACE: u64 = 65 << 20;

/// How many workers the address-space limit (`RLIMIT_AS`, `ulimit -v`) leaves room for: at most
/// half of what is left under it now, [`WORKER_ADDRESS_SPACE`] each; the other half stays the
/// main thread's (the walk, the hard-link map, reporting), which cannot degrade: its allocations
/// are not fallible. No limit: no cap. Issue 14 (GNU tests/cp/link-heap.sh): a limit means
/// fewer workers, never an abort — measured without this cap, `-j 8` under `ulimit -v 7000`
/// started 5 workers and aborted in one of them.
pub fn workers_within_address_space(requested: usize) -> usize {
    let Some(limit) = rustix::process::getrlimit(rustix::process::Resource::As).current else {
        return requested;
    };
    let spare =
        limit.saturating_sub(crate::limits::address_space_in_use()) / 2 / WORKER_ADDRESS_SPACE;
    requested.min(usize::try_from(spare).unwrap_or(usize::MAX))
}

/// Jobs handed to one worker at a time: consecutive files of the walk (mostly one directory's),
/// so a worker takes several per wake-up and the workers contend less for one directory.
pub type Work = Vec<Slot>;

/// A fixed set of workers fed through a bounded queue. A worker sends a hand-off back, each
/// job's result in its [`Slot`], once it has run them all: one message each way per hand-off,
/// not per file (the per-file channel blocks and the hand-off lists' allocations were 5% of a
/// tree copy's user-space instructions, issue 16). The lists go round: the caller fills an
/// emptied one for the next hand-off.
pub struct Pool {
    queue: Option<SyncSender<Work>>,
    results: Receiver<Work>,
    /// The hand-off being returned by [`Pool::next_done`], in the order of its jobs.
    ready: VecDeque<Slot>,
    /// Emptied job lists, for [`Pool::spare_work`].
    spares: Vec<Work>,
    in_flight: usize,
}

impl Pool {
    /// Starts up to `workers` threads in `scope`, each running jobs with `engine`; fewer under
    /// an address-space limit ([`workers_within_address_space`]).
    ///
    /// A thread that cannot start (`RLIMIT_NPROC`, a pids cgroup, no memory: `EAGAIN`) is not
    /// an error: the pool runs with the workers it has, and `None` (no worker at all) means the
    /// caller runs jobs itself. Issue 12: a resource limit is a slower copy, never a crash.
    pub fn new<'scope, 'env: 'scope>(
        scope: &'scope Scope<'scope, 'env>,
        engine: &'env Engine<'env>,
        workers: usize,
    ) -> Option<Pool> {
        let workers = workers_within_address_space(workers);
        if workers == 0 {
            return None;
        }
        let (queue, inbox) = mpsc::sync_channel::<Work>(workers);
        let inbox = Arc::new(Mutex::new(inbox));
        let (done_tx, results) = mpsc::channel::<Work>();
        let mut started = 0;
        for _ in 0..workers {
            let inbox = Arc::clone(&inbox);
            let done_tx: Sender<Work> = done_tx.clone();
            // Workers need little stack: the engine keeps its buffer in a thread-local heap
            // allocation.
            let spawned = std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn_scoped(scope, move || loop {
                    let next = inbox.lock().map(|rx| rx.recv());
                    let Ok(Ok(mut batch)) = next else {
                        return;
                    };
                    for slot in &mut batch {
                        slot.run(engine);
                    }
                    if done_tx.send(batch).is_err() {
                        return;
                    }
                });
            if spawned.is_err() {
                break;
            }
            started += 1;
        }
        (started > 0).then_some(Pool {
            queue: Some(queue),
            results,
            ready: VecDeque::new(),
            spares: Vec::new(),
            in_flight: 0,
        })
    }

    /// Queues a batch of jobs, waiting while the queue is full. Workers never wait for the
    /// caller (results go to an unbounded channel), so this wait always ends.
    pub fn submit(&mut self, work: Work) {
        let queue = self.queue.as_ref().expect("pool is open");
        self.in_flight += work.len();
        queue
            .send(work)
            .expect("copy workers stop only when the queue closes");
    }

    /// An empty job list for the next hand-off: one the workers are done with, or a new one
    /// with room for `capacity` jobs.
    pub fn spare_work(&mut self, capacity: usize) -> Work {
        self.spares
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    /// A finished job, waiting for one if `block`; `None` when nothing is in flight (or ready).
    /// Jobs finish a hand-off at a time: a wait for one lasts until its worker has run the jobs
    /// handed to it with it.
    pub fn next_done(&mut self, block: bool) -> Option<Done> {
        if self.ready.is_empty() && self.in_flight > 0 {
            let received = if block {
                self.results.recv().ok()
            } else {
                self.results.try_recv().ok()
            };
            if let Some(work) = received {
                // The emptied list (no copy: an empty deque becomes a vector as it is).
                let emptied = std::mem::replace(&mut self.ready, VecDeque::from(work));
                if emptied.capacity() > 0 {
                    self.spares.push(Vec::from(emptied));
                }
            }
        }
        let slot = self.ready.pop_front()?;
        self.in_flight -= 1;
        Some(slot.into_done())
    }

    /// Jobs handed to the workers and not yet returned by [`Pool::next_done`].
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Stops the workers once the queue is empty.
    pub fn close(&mut self) {
        self.queue = None;
    }
}
