//! A bounded pool of threads for the CPU-heavy steps of a request (Argon2id hashes and
//! verifications, SRP verifiers), so they never run on the async workers that answer every
//! other request. The queue in front of the threads is bounded: when it is full, the work is
//! refused at once as TooManyRequests (load shed) instead of piling up.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use crate::error::{DomainError, DomainResult};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool; clones share its threads, which end when the last clone is dropped.
#[derive(Clone)]
pub struct CpuPool {
    sender: SyncSender<Job>,
    threads: usize,
}

impl CpuPool {
    /// `threads` workers (at least one) behind a queue of `queue` waiting jobs.
    pub fn new(threads: usize, queue: usize) -> CpuPool {
        let threads = threads.max(1);
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new().name(format!("cognate-cpu-{index}")).spawn(move || work(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "starting a CPU worker thread");
            }
        }
        CpuPool { sender, threads }
    }

    /// One worker per core, and a queue of 32 jobs per worker.
    pub fn for_this_machine() -> CpuPool {
        let threads = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        CpuPool::new(threads, threads * 32)
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job` on a worker and waits for its result without holding an async worker;
    /// TooManyRequests when the queue is full.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> DomainResult<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let boxed: Job = Box::new(move || {
            let _ = answer.send(job());
        });
        match self.sender.try_send(boxed) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(DomainError::TooManyRequests("Too many requests are waiting for password checks. Try again.".into()))
            }
            Err(TrySendError::Disconnected(_)) => return Err(DomainError::internal("the CPU worker threads are gone")),
        }
        answered.await.map_err(|_| DomainError::internal("a CPU worker dropped its job"))
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_sheds_load_when_full() {
        let pool = CpuPool::new(1, 1);
        assert_eq!(pool.run(|| 6 * 7).await.unwrap(), 42);
        // Block the only worker, fill the queue, and the next job is refused at once.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let gate = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || blocked.recv().unwrap()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let queued = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 1).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(matches!(pool.run(|| 2).await, Err(DomainError::TooManyRequests(_))));
        release.send(()).unwrap();
        gate.await.unwrap().unwrap();
        assert_eq!(queued.await.unwrap().unwrap(), 1);
    }
}
