//! The `Store` contract, run against every backend: each test below runs once
//! on SQLite (a temp file) and once on PostgreSQL (a fresh schema on the
//! server named by `EVREG_TEST_DATABASE_URL`; skipped loudly without it).

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TempDir;
use common::pg::{self, PgSchema};
use evreg_server::store::postgres::PgStore;
use evreg_server::store::sqlite::SqliteStore;
use evreg_server::store::{
    BoxFuture, Change, Feed, Locks, NewVersion, RefTarget, RegisterOutcome, SchemaContent, Setting,
    Store, StoreError, SubjectView, Verdict, VersionRow,
};

/// A store under test, and how to open it again.
enum Backend {
    Sqlite(TempDir),
    Postgres(PgSchema),
}

impl Backend {
    async fn open(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(dir) => Arc::new(
                SqliteStore::open_file(&dir.path().join("evreg.db"))
                    .await
                    .unwrap(),
            ),
            Backend::Postgres(schema) => Arc::new(PgStore::open(&schema.url).await.unwrap()),
        }
    }

    async fn finish(self) {
        if let Backend::Postgres(schema) = self {
            schema.drop().await;
        }
    }
}

/// Runs each named test body on SQLite and on PostgreSQL.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let backend = super::Backend::Sqlite(super::TempDir::new());
                    super::$name(&backend).await;
                    backend.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let test = concat!("store_conformance::postgres::", stringify!($name));
                    let Some(base) = super::pg::base_url(test) else { return };
                    let backend = super::Backend::Postgres(super::PgSchema::create(&base).await);
                    super::$name(&backend).await;
                    backend.finish().await;
                }
            )*
        }
    };
}

conformance!(
    contract,
    view_shows_settings_references_and_loads_schemas,
    same_content_gets_one_id_under_concurrency,
    versions_stay_contiguous_and_decide_sees_the_latest,
    explicit_ids_conflict_under_concurrency,
    hard_delete_and_reuse_do_not_lose_a_schema,
    reads_for_refresh,
    commits_survive_reopening,
    guids_are_filled_in_on_open,
    change_feed,
);

fn content(key: &str) -> SchemaContent {
    SchemaContent {
        schema_type: "AVRO".into(),
        schema: format!("\"{key}\""),
        references: "[]".into(),
        metadata: None,
        rule_set: None,
        extra: None,
        fingerprint: format!("fp-{key}"),
        content_key: format!("key-{key}"),
        guid: evreg_server::store::guid_of(&format!("key-{key}")),
    }
}

fn new(subject: &str, key: &str) -> NewVersion {
    NewVersion {
        context: ".".into(),
        subject: subject.into(),
        content: content(key),
        id: None,
        version: None,
        scopes: vec![(".".into(), subject.into()), (".".into(), String::new())],
        references: Vec::new(),
        ticket: 1,
    }
}

/// A `decide` that always answers `verdict`.
fn always(verdict: Verdict) -> impl Fn(SubjectView) -> BoxFuture<'static, Verdict> + Send + Sync {
    move |_| {
        let v = verdict.clone();
        Box::pin(async move { v })
    }
}

fn go() -> Verdict {
    Verdict::Proceed {
        tombstone: Vec::new(),
    }
}

async fn proceed(store: &dyn Store, n: &NewVersion) -> Result<RegisterOutcome, StoreError> {
    store.register(n, &always(go())).await.map(sans_ts)
}

/// The outcome with its registration time checked (now, give or take) and
/// zeroed, so outcomes compare.
fn sans_ts(outcome: RegisterOutcome) -> RegisterOutcome {
    match outcome {
        RegisterOutcome::Inserted {
            id,
            version,
            new_schema,
            tombstoned,
            ts,
        } => {
            assert_recent(ts);
            RegisterOutcome::Inserted {
                id,
                version,
                new_schema,
                tombstoned,
                ts: 0,
            }
        }
        other => other,
    }
}

#[track_caller]
fn assert_recent(ts: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!(
        (now - 600_000..=now + 1000).contains(&ts),
        "ts {ts} is not a recent unix-millisecond time (now {now})"
    );
}

fn inserted(id: i64, version: i32, new_schema: bool) -> RegisterOutcome {
    RegisterOutcome::Inserted {
        id,
        version,
        new_schema,
        tombstoned: Vec::new(),
        ts: 0,
    }
}

async fn soft_delete(s: &dyn Store, subject: &str, versions: &[i32]) {
    let mut tx = s.begin(&Locks::default(), 1).await.unwrap();
    tx.soft_delete(".", subject, versions).await.unwrap();
    tx.commit().await.unwrap();
}

async fn hard_delete(s: &dyn Store, context: &str, subject: &str, versions: &[i32]) -> Vec<i64> {
    let mut tx = s.begin(&Locks::default(), 1).await.unwrap();
    let removed = tx.hard_delete(context, subject, versions).await.unwrap();
    tx.commit().await.unwrap();
    removed
}

async fn set(s: &dyn Store, kind: Setting, context: &str, subject: &str, value: Option<&str>) {
    let mut tx = s.begin(&Locks::default(), 1).await.unwrap();
    tx.set(kind, context, subject, value).await.unwrap();
    tx.commit().await.unwrap();
}

/// The contract every backend must meet, in one story.
async fn contract(b: &Backend) {
    let store = b.open().await;
    let s = store.as_ref();
    let snap = s.load().await.unwrap();
    assert!(snap.schemas.is_empty() && snap.versions.is_empty());

    // New content gets id 1; the same content elsewhere reuses it, and
    // `decide` is shown that id and the subject's versions.
    assert_eq!(
        proceed(s, &new("a", "x")).await.unwrap(),
        inserted(1, 1, true)
    );
    let seen = Arc::new(Mutex::new(None));
    let seen2 = seen.clone();
    let decide = move |view: SubjectView| -> BoxFuture<'static, Verdict> {
        *seen2.lock().unwrap() = Some(view);
        Box::pin(async { go() })
    };
    assert_eq!(
        sans_ts(s.register(&new("b", "x"), &decide).await.unwrap()),
        inserted(1, 1, false)
    );
    let view = seen.lock().unwrap().clone().unwrap();
    assert_eq!(view.existing_id, Some(1));
    assert!(view.versions.is_empty());
    assert_eq!(
        proceed(s, &new("a", "y")).await.unwrap(),
        inserted(2, 2, true)
    );

    // Existing and Abort write nothing.
    let row = VersionRow {
        version: 1,
        schema_id: 1,
        deleted: false,
        ts: 0,
    };
    assert_eq!(
        s.register(&new("a", "z"), &always(Verdict::Existing(row)))
            .await
            .unwrap(),
        RegisterOutcome::Existing(row)
    );
    assert_eq!(
        s.register(&new("a", "z"), &always(Verdict::Abort))
            .await
            .unwrap(),
        RegisterOutcome::Aborted
    );
    assert_eq!(s.load().await.unwrap().schemas.len(), 2);

    // Explicit ids and versions (IMPORT).
    let mut imported = new("imp", "i");
    imported.id = Some(50);
    imported.version = Some(7);
    assert_eq!(proceed(s, &imported).await.unwrap(), inserted(50, 7, true));
    let mut clash = new("imp", "other");
    clash.id = Some(50);
    assert!(matches!(
        proceed(s, &clash).await,
        Err(StoreError::IdConflict { id: 50 })
    ));
    let mut taken = new("imp", "other");
    taken.version = Some(7);
    assert!(matches!(
        proceed(s, &taken).await,
        Err(StoreError::VersionConflict { version: 7 })
    ));
    // The next id follows the highest ever issued.
    assert_eq!(
        proceed(s, &new("c", "w")).await.unwrap(),
        inserted(51, 1, true)
    );

    // Soft delete marks; hard delete removes versions and then unused schemas.
    soft_delete(s, "c", &[1]).await;
    let snap = s.load().await.unwrap();
    assert!(
        snap.versions
            .iter()
            .any(|v| v.subject == "c" && v.row.deleted)
    );
    assert_eq!(hard_delete(s, ".", "c", &[1]).await, vec![51]);
    assert_eq!(
        hard_delete(s, ".", "b", &[1]).await,
        Vec::<i64>::new(),
        "id 1 is still used by a"
    );
    // A hard-deleted top id is not issued again.
    assert_eq!(
        proceed(s, &new("c", "v")).await.unwrap(),
        inserted(52, 1, true)
    );

    // Tombstones go in the same transaction as the insert.
    soft_delete(s, "a", &[2]).await;
    let out = s
        .register(
            &new("a", "y"),
            &always(Verdict::Proceed { tombstone: vec![2] }),
        )
        .await
        .unwrap();
    assert_eq!(
        sans_ts(out),
        RegisterOutcome::Inserted {
            id: 2,
            version: 3,
            new_schema: false,
            tombstoned: vec![2],
            ts: 0,
        }
    );

    // A transaction dropped without commit changes nothing.
    {
        let mut tx = s.begin(&Locks::default(), 1).await.unwrap();
        tx.soft_delete(".", "a", &[1, 3]).await.unwrap();
    }
    assert!(
        s.subject(".", "a")
            .await
            .unwrap()
            .iter()
            .all(|v| !v.deleted)
    );

    // Settings.
    set(
        s,
        Setting::Config,
        ".",
        "",
        Some(r#"{"compatibilityLevel":"FULL"}"#),
    )
    .await;
    set(s, Setting::Config, ".", "a", Some("{}")).await;
    set(s, Setting::Config, ".", "a", None).await;
    set(s, Setting::Mode, ".ctx", "", Some("IMPORT")).await;
    let snap = s.load().await.unwrap();
    assert_eq!(snap.configs.len(), 1);
    assert_eq!(snap.modes[0].value, "IMPORT");

    // Contexts are separate id spaces, and an empty one can be forgotten.
    let mut other = new("q", "x");
    other.context = ".ctx".into();
    assert_eq!(proceed(s, &other).await.unwrap(), inserted(1, 1, true));
    {
        let mut tx = s.begin(&Locks::default(), 1).await.unwrap();
        tx.soft_delete(".ctx", "q", &[1]).await.unwrap();
        tx.hard_delete(".ctx", "q", &[1]).await.unwrap();
        tx.delete_context(".ctx").await.unwrap();
        tx.commit().await.unwrap();
    }
    let snap = s.load().await.unwrap();
    assert!(snap.contexts.iter().all(|(c, _)| c != ".ctx"));
    assert!(snap.modes.is_empty());
    s.close().await;
}

/// `decide` sees the settings of the scopes it names, references that do not
/// exist, and schema rows it asks for.
async fn view_shows_settings_references_and_loads_schemas(b: &Backend) {
    let store = b.open().await;
    let s = store.as_ref();
    proceed(s, &new("base", "x")).await.unwrap();
    proceed(s, &new("base", "y")).await.unwrap();
    set(s, Setting::Mode, ".", "", Some("READWRITE")).await;
    set(s, Setting::Config, ".", "t", Some(r#"{"normalize":true}"#)).await;
    set(s, Setting::Config, ".", "elsewhere", Some("{}")).await;

    let mut n = new("t", "z");
    n.references = vec![
        RefTarget {
            context: ".".into(),
            subject: "base".into(),
            version: 2,
        },
        RefTarget {
            context: ".".into(),
            subject: "base".into(),
            version: 9,
        },
        RefTarget {
            context: ".".into(),
            subject: "base".into(),
            version: -1,
        },
    ];
    let views = Arc::new(Mutex::new(Vec::new()));
    let v2 = views.clone();
    let decide = move |view: SubjectView| -> BoxFuture<'static, Verdict> {
        let first = view.schemas.is_empty();
        v2.lock().unwrap().push(view);
        Box::pin(async move {
            if first {
                Verdict::Load(vec![1, 2, 99])
            } else {
                Verdict::Abort
            }
        })
    };
    assert_eq!(
        s.register(&n, &decide).await.unwrap(),
        RegisterOutcome::Aborted
    );
    let views = views.lock().unwrap().clone();
    assert_eq!(views.len(), 2, "asked once more after loading");
    let v = &views[0];
    assert_eq!(v.missing_references, vec![1]);
    assert_eq!(v.modes.len(), 1);
    assert_eq!(v.modes[0].value, "READWRITE");
    assert_eq!(v.configs.len(), 1, "only the named scopes");
    assert_eq!(v.configs[0].subject, "t");
    let loaded: Vec<i64> = views[1].schemas.iter().map(|r| r.id).collect();
    assert_eq!(loaded, vec![1, 2], "rows that exist");
    assert_eq!(views[1].schemas[0].content, content("x"));

    // Asking twice is a bug in the caller, reported rather than looped on.
    let greedy = |_: SubjectView| -> BoxFuture<'static, Verdict> {
        Box::pin(async { Verdict::Load(vec![1]) })
    };
    assert!(matches!(
        s.register(&new("t", "z"), &greedy).await,
        Err(StoreError::Backend(_))
    ));
    s.close().await;
}

/// The same new content registered at once into many subjects gets one id.
async fn same_content_gets_one_id_under_concurrency(b: &Backend) {
    let store = b.open().await;
    for round in 0..3 {
        let mut tasks = Vec::new();
        for i in 0..12 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let n = new(&format!("s{round}-{i}"), &format!("same-{round}"));
                match proceed(s.as_ref(), &n).await.unwrap() {
                    RegisterOutcome::Inserted { id, .. } => id,
                    other => panic!("{other:?}"),
                }
            }));
        }
        let mut ids = BTreeSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap());
        }
        assert_eq!(ids.len(), 1, "round {round}: {ids:?}");
    }
    let snap = store.load().await.unwrap();
    assert_eq!(snap.schemas.len(), 3);
    store.close().await;
}

/// Concurrent registrations into one subject get versions 1..=n, and each
/// `decide` (which takes its time) sees every version committed before it.
async fn versions_stay_contiguous_and_decide_sees_the_latest(b: &Backend) {
    let store = b.open().await;
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let mut tasks = Vec::new();
    for i in 0..12 {
        let (s, seen) = (store.clone(), seen.clone());
        tasks.push(tokio::spawn(async move {
            let decide = move |view: SubjectView| -> BoxFuture<'static, Verdict> {
                let seen = seen.clone();
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    seen.lock().unwrap().insert(view.versions.len());
                    go()
                })
            };
            match s.register(&new("one", &format!("k{i}")), &decide).await {
                Ok(RegisterOutcome::Inserted { version, .. }) => version,
                other => panic!("{other:?}"),
            }
        }));
    }
    let mut versions = BTreeSet::new();
    for t in tasks {
        versions.insert(t.await.unwrap());
    }
    assert_eq!(versions, (1..=12).collect());
    assert_eq!(*seen.lock().unwrap(), (0..12).collect());
    store.close().await;
}

/// Two imports of different content under one explicit id: one wins.
async fn explicit_ids_conflict_under_concurrency(b: &Backend) {
    let store = b.open().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = new(&format!("imp{i}"), &format!("c{i}"));
            n.id = Some(7);
            proceed(s.as_ref(), &n).await
        }));
    }
    let (mut ok, mut conflict) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(RegisterOutcome::Inserted { id: 7, .. }) => ok += 1,
            Err(StoreError::IdConflict { id: 7 }) => conflict += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((ok, conflict), (1, 5));
    store.close().await;
}

/// Reusing a schema while its last version is hard-deleted elsewhere: the
/// reuse keeps it, or the delete removes it and the reuse gets a new id.
async fn hard_delete_and_reuse_do_not_lose_a_schema(b: &Backend) {
    let store = b.open().await;
    for round in 0..8 {
        let key = format!("r{round}");
        proceed(store.as_ref(), &new(&format!("old{round}"), &key))
            .await
            .unwrap();
        soft_delete(store.as_ref(), &format!("old{round}"), &[1]).await;
        let (s1, s2) = (store.clone(), store.clone());
        let k2 = key.clone();
        let delete = tokio::spawn(async move {
            hard_delete(s1.as_ref(), ".", &format!("old{round}"), &[1]).await
        });
        let reuse = tokio::spawn(async move {
            proceed(s2.as_ref(), &new(&format!("new{round}"), &k2))
                .await
                .unwrap()
        });
        let removed = delete.await.unwrap();
        let RegisterOutcome::Inserted { id, .. } = reuse.await.unwrap() else {
            panic!("not inserted");
        };
        let rows = store.schemas(".", &[id]).await.unwrap();
        assert_eq!(
            rows.len(),
            1,
            "round {round}: the new version's schema exists"
        );
        assert_eq!(rows[0].content.content_key, format!("key-{key}"));
        assert!(
            !removed.contains(&id),
            "round {round}: removed {removed:?}, used {id}"
        );
    }
    store.close().await;
}

/// The narrow reads the mirror refreshes with.
async fn reads_for_refresh(b: &Backend) {
    let store = b.open().await;
    let s = store.as_ref();
    proceed(s, &new("a", "x")).await.unwrap();
    proceed(s, &new("a", "y")).await.unwrap();
    soft_delete(s, "a", &[1]).await;
    let mut versions = s.subject(".", "a").await.unwrap();
    for v in &mut versions {
        assert_recent(v.ts);
        v.ts = 0;
    }
    assert_eq!(
        versions,
        vec![
            VersionRow {
                version: 1,
                schema_id: 1,
                deleted: true,
                ts: 0,
            },
            VersionRow {
                version: 2,
                schema_id: 2,
                deleted: false,
                ts: 0,
            }
        ]
    );
    assert!(s.subject(".", "nope").await.unwrap().is_empty());
    let rows = s.schemas(".", &[2, 1, 3]).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2]);
    assert!(s.schemas(".other", &[1]).await.unwrap().is_empty());
    set(s, Setting::Mode, ".", "a", Some("READONLY")).await;
    assert_eq!(
        s.setting(Setting::Mode, ".", "a").await.unwrap().as_deref(),
        Some("READONLY")
    );
    assert_eq!(s.setting(Setting::Config, ".", "a").await.unwrap(), None);
    assert_eq!(s.context(".").await.unwrap(), Some(2));
    assert_eq!(s.context(".none").await.unwrap(), None);
    s.close().await;
}

async fn commits_survive_reopening(b: &Backend) {
    let store = b.open().await;
    let RegisterOutcome::Inserted { ts, .. } =
        store.register(&new("a", "x"), &always(go())).await.unwrap()
    else {
        panic!("not inserted")
    };
    store.close().await;
    let store = b.open().await;
    let snap = store.load().await.unwrap();
    assert_eq!(snap.schemas.len(), 1);
    // The guid is stored with the row and read back as written.
    assert_eq!(snap.schemas[0].content, content("x"));
    assert_eq!(snap.contexts, vec![(".".to_owned(), 1)]);
    assert_eq!(snap.versions.len(), 1);
    assert_eq!(
        snap.versions[0].row.ts, ts,
        "the registration time is stored"
    );
    store.close().await;
}

/// Rows from before migration 0002 (guid NULL) get their guid when the store
/// opens, and rows that have one keep it.
async fn guids_are_filled_in_on_open(b: &Backend) {
    let store = b.open().await;
    proceed(store.as_ref(), &new("a", "x")).await.unwrap();
    let mut kept = new("b", "y");
    kept.content.guid = "00000000-0000-4000-8000-000000000001".into();
    proceed(store.as_ref(), &kept).await.unwrap();
    store.close().await;
    let sql = "UPDATE schemas SET guid = NULL WHERE content_key = 'key-x'";
    match b {
        Backend::Sqlite(dir) => {
            let url = format!("sqlite://{}", dir.path().join("evreg.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres(schema) => {
            let pool = sqlx::PgPool::connect(&schema.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let store = b.open().await;
    let snap = store.load().await.unwrap();
    let guid = |key: &str| {
        snap.schemas
            .iter()
            .find(|r| r.content.content_key == key)
            .map(|r| r.content.guid.clone())
            .unwrap()
    };
    assert_eq!(guid("key-x"), evreg_server::store::guid_of("key-x"));
    assert_eq!(guid("key-y"), "00000000-0000-4000-8000-000000000001");
    store.close().await;
}

/// A shared store reports every committed change, and marks, in commit
/// order, naming this process's own tickets; SQLite has no feed.
async fn change_feed(b: &Backend) {
    let store = b.open().await;
    let Some(mut feed) = store.follow().await.unwrap() else {
        assert!(matches!(b, Backend::Sqlite(_)));
        store.mark(5).await.unwrap();
        return;
    };
    let mut n = new("a", "x");
    n.ticket = 11;
    proceed(store.as_ref(), &n).await.unwrap();
    let mut tx = store.begin(&Locks::default(), 12).await.unwrap();
    tx.set(Setting::Config, ".", "a", Some("{}")).await.unwrap();
    tx.soft_delete(".", "a", &[1]).await.unwrap();
    tx.commit().await.unwrap();
    // Rolled back: never reported.
    let mut tx = store.begin(&Locks::default(), 13).await.unwrap();
    tx.set(Setting::Mode, ".", "", Some("READONLY"))
        .await
        .unwrap();
    drop(tx);
    store.mark(14).await.unwrap();
    let mut got = Vec::new();
    while got.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(5), feed.recv()).await {
            Ok(Some(Feed::Changes(notices))) => got.extend(notices),
            other => panic!("{other:?}"),
        }
    }
    let summary: Vec<(Change, Option<u64>)> =
        got.into_iter().map(|n| (n.change, n.origin)).collect();
    let subject = Change::Subject {
        context: ".".into(),
        subject: "a".into(),
    };
    let config = Change::Setting {
        kind: Setting::Config,
        context: ".".into(),
        subject: "a".into(),
    };
    assert_eq!(
        summary,
        vec![
            (subject.clone(), Some(11)),
            (config, Some(12)),
            (subject, Some(12)),
            (Change::Mark, Some(14)),
        ]
    );
    store.close().await;
}
