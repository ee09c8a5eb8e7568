//! Faults with real `evreg` processes over PostgreSQL: the database cut off
//! from one instance during load (through a TCP proxy this test controls), and
//! an instance killed with SIGKILL during load. No acknowledged write is lost.
//! Needs `EVREG_TEST_DATABASE_URL`; skipped loudly without it.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::instance::{Ack, Instance, check_acked, optional_field_record, within};
use common::pg::{self, PgDatabase};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A TCP proxy to PostgreSQL that can drop every connection and refuse new
/// ones (accepting and closing at once), then let them through again.
struct Proxy {
    addr: String,
    open: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let open = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (o, c) = (open.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((mut down, _)) = listener.accept().await else {
                    continue;
                };
                if !o.load(Ordering::SeqCst) {
                    drop(down);
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut up) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                });
                let mut conns = c.lock().unwrap();
                conns.retain(|h| !h.is_finished());
                conns.push(task.abort_handle());
            }
        })
        .abort_handle();
        Proxy {
            addr,
            open,
            conns,
            accept,
        }
    }

    /// Drops every connection and refuses new ones.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// Registers new versions through `inst` until `stop`, recording what was
/// acknowledged and every failure (status, error code, time taken).
#[allow(clippy::type_complexity)]
fn writer(
    inst: Arc<Instance>,
    tag: String,
    stop: Arc<AtomicBool>,
    acks: Arc<Mutex<Vec<Ack>>>,
    failures: Arc<Mutex<Vec<(u16, i64, Duration)>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            i += 1;
            let subject = format!("load-{}", i % 4);
            let schema = optional_field_record("Load", &format!("{tag}_{i}"));
            let started = Instant::now();
            let r = inst.register(&subject, &schema).await;
            if r.status == 200 {
                acks.lock().unwrap().push(Ack {
                    subject,
                    schema,
                    id: r.id(),
                    version: r.version(),
                });
            } else {
                failures
                    .lock()
                    .unwrap()
                    .push((r.status, r.code(), started.elapsed()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_and_recovery() {
    let Some(base) = pg::base_url("faults::database_outage_and_recovery") else {
        return;
    };
    let db = PgDatabase::create(&base).await;
    let proxy = Proxy::start(pg::host_port(&base)).await;
    let via_proxy = pg::replace_host_port(&db.url, &proxy.addr);
    let a = Arc::new(Instance::start("a", &via_proxy).await);
    let b = Arc::new(Instance::start("b", &db.url).await);

    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let inst = if w < 3 { a.clone() } else { b.clone() };
            writer(
                inst,
                format!("w{w}"),
                stop.clone(),
                acks.clone(),
                failures.clone(),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(failures.lock().unwrap().is_empty(), "{failures:?}");
    let cached: Vec<i64> = acks.lock().unwrap().iter().map(|a| a.id).take(20).collect();
    assert!(!cached.is_empty());

    proxy.cut();
    let cut_at = Instant::now();
    // Cached schemas still answer by id.
    for id in &cached {
        let r = a.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(
            r.status, 200,
            "cached id {id} during the outage: {:?}",
            r.body
        );
    }
    // Writes fail promptly with 50001.
    let started = Instant::now();
    let r = a
        .register("outage", &optional_field_record("Out", "x"))
        .await;
    let took = started.elapsed();
    assert_eq!((r.status, r.code()), (500, 50001), "{:?}", r.body);
    assert!(
        took < Duration::from_secs(5),
        "a write took {took:?} to fail"
    );
    eprintln!("write during the outage failed in {took:?}");
    // An id this instance does not hold cannot be answered either.
    let unknown = within(Duration::from_secs(8), || async {
        let r = a.get("/schemas/ids/999999").await;
        (r.status, r.code()) == (500, 50001)
    })
    .await;
    assert!(
        unknown.is_some(),
        "uncached read during the outage did not answer 50001"
    );
    // The other instance, which still reaches the database, keeps writing.
    let during = b
        .register("outage-b", &optional_field_record("OutB", "x"))
        .await;
    assert_eq!(during.status, 200);
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(cut_at.elapsed())).await;

    proxy.restore();
    let restored_at = Instant::now();
    let recovered = within(Duration::from_secs(30), || async {
        a.register("after", &optional_field_record("After", "x"))
            .await
            .status
            == 200
    })
    .await
    .expect("the instance recovers by itself");
    eprintln!("writes through a work again {recovered:?} after the restore");
    // The write b made during the outage shows through a after its reload.
    let path = format!("/schemas/ids/{}", during.id());
    within(Duration::from_secs(10), || async {
        a.get(&path).await.status == 200
    })
    .await
    .expect("a reloads what it missed");
    eprintln!(
        "a serves b's outage write {:?} after the restore",
        restored_at.elapsed()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }

    let failures = failures.lock().unwrap().clone();
    for (status, code, took) in &failures {
        assert_eq!((*status, *code), (500, 50001), "{failures:?}");
        assert!(*took < Duration::from_secs(5), "a failure took {took:?}");
    }
    let mut acks = acks.lock().unwrap().clone();
    acks.push(Ack {
        subject: "outage-b".into(),
        schema: optional_field_record("OutB", "x"),
        id: during.id(),
        version: during.version(),
    });
    eprintln!(
        "{} acknowledged, {} failed fast during the outage",
        acks.len(),
        failures.len()
    );
    check_acked(&[a.as_ref(), b.as_ref()], &acks).await;
    drop((a, b, proxy));
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_write() {
    let Some(base) = pg::base_url("faults::sigkill_loses_no_acknowledged_write") else {
        return;
    };
    let db = PgDatabase::create(&base).await;
    let (a, b, c) = tokio::join!(
        Instance::start("a", &db.url),
        Instance::start("b", &db.url),
        Instance::start("c", &db.url)
    );
    let insts = [Arc::new(a), Arc::new(b), Arc::new(c)];
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..9)
        .map(|w| {
            writer(
                insts[w % 3].clone(),
                format!("k{w}"),
                stop.clone(),
                acks.clone(),
                failures.clone(),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = acks.lock().unwrap().len();
    insts[1].kill();
    let killed_at = acks.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    let acks = acks.lock().unwrap().clone();
    let lost_connections = failures
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _, _)| *s == 0)
        .count();
    eprintln!(
        "{before} acknowledged before the kill, {killed_at} at it, {} in all; {lost_connections} requests to the killed instance failed",
        acks.len()
    );
    assert!(acks.len() > killed_at, "the survivors kept serving");
    // Only requests to the killed instance may have failed.
    for (status, code, _) in failures.lock().unwrap().iter() {
        assert_eq!((*status, *code), (0, 0), "a survivor failed a write");
    }
    check_acked(&[insts[0].as_ref(), insts[2].as_ref()], &acks).await;
    // A new instance loads every acknowledged write from the database.
    let d = Instance::start("d", &db.url).await;
    check_acked(&[&d], &acks).await;
    drop((insts, d));
    db.drop().await;
}

/// An unreachable database at startup: each attempt is logged, and with
/// `--database-startup-timeout` the process gives up with a clear error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_gives_up_after_the_timeout() {
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let started = Instant::now();
    let inst = Instance::spawn("gives-up", &url, &["--database-startup-timeout", "3"]);
    let status = inst
        .wait_exit(Duration::from_secs(20))
        .await
        .expect("evreg gives up");
    assert_eq!(status.code(), Some(1));
    let log = inst.log_text();
    assert!(log.contains("PostgreSQL is unreachable; retrying"), "{log}");
    assert!(log.contains("PostgreSQL unreachable after"), "{log}");
    eprintln!("gave up after {:?}", started.elapsed());
}

/// A database that comes up after the instance: it keeps trying, then serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_waits_for_the_database() {
    let Some(base) = pg::base_url("faults::startup_waits_for_the_database") else {
        return;
    };
    let db = PgDatabase::create(&base).await;
    let proxy = Proxy::start(pg::host_port(&base)).await;
    proxy.cut();
    let inst = Instance::spawn("waits", &pg::replace_host_port(&db.url, &proxy.addr), &[]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        inst.get("/").await.status == 0,
        "not serving without a database"
    );
    proxy.restore();
    inst.wait_ready(Duration::from_secs(30)).await;
    assert!(
        inst.log_text()
            .contains("PostgreSQL is unreachable; retrying")
    );
    let r = inst
        .register("late", &optional_field_record("Late", "x"))
        .await;
    assert_eq!(r.status, 200);
    drop((inst, proxy));
    db.drop().await;
}
