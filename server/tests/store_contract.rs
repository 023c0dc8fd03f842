//! The embedded store passes the store contract (the Redis backend runs the same suite).

use std::sync::Arc;

use onetimeshare::store::{contract, embedded::EmbeddedStore, operator_contract, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store_passes_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).expect("open store"));
    contract::run_all(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store_passes_the_operator_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).expect("open store"));
    operator_contract::run_all(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_store_keeps_records_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = {
        let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(dir.path()).expect("open store"));
        let f = contract::make_inline(&*store, 1).await;
        f.id
    };
    // The writer thread of the first store ends when it is dropped; redb allows one opener.
    let mut tries = 0;
    let store = loop {
        match EmbeddedStore::open(dir.path()) {
            Ok(s) => break s,
            Err(e) if tries < 50 => {
                tries += 1;
                let _ = e;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("reopen: {e}"),
        }
    };
    let rec = store.get(id).await.expect("get").expect("record survives");
    assert_eq!(rec.size, 1024);
}
