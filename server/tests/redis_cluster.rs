//! The Redis store on a real 3-master Redis Cluster (started by the test on
//! loopback): the same Lua scripts, unchanged, because every key of a share
//! carries its hash tag; the store and operator contracts pass.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

#[path = "common/redis_cluster.rs"]
mod redis_cluster;

use std::{sync::Arc, time::Duration};

use onetimeshare::store::{
    contract, operator_contract,
    redis::{RedisOptions, RedisStore},
    Store,
};
use redis_cluster::RedisCluster;

async fn store(url: &str, prefix: &str) -> RedisStore {
    let mut o = RedisOptions::new(url);
    o.key_prefix = prefix.into();
    let s = RedisStore::open(&o).unwrap();
    s.wait_connected(Duration::from_secs(10)).await.unwrap();
    s
}

/// One cluster for every check (starting one takes a few seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contracts_pass_on_a_three_master_cluster() {
    let cluster = RedisCluster::start();
    // Both spellings of the URL reach the cluster.
    let plus = cluster
        .url()
        .replacen("redis-cluster://", "redis+cluster://", 1);
    let store_a: Arc<dyn Store> = Arc::new(store(&plus, "contract:").await);
    contract::run_all(store_a).await;
    let keys = cluster.keys_per_node();
    assert!(
        keys.iter().all(|&n| n > 0),
        "the contract's shares landed on every master: {keys:?}"
    );
    let store_b: Arc<dyn Store> = Arc::new(store(&cluster.url(), "operator:").await);
    operator_contract::run_all(store_b).await;
    // Two prefixes, two deployments on one cluster: every key carries its own.
    for port in &cluster.ports {
        let keys = cluster.cli(*port, &["--scan"]);
        for key in keys.lines() {
            assert!(
                key.starts_with("contract:") || key.starts_with("operator:"),
                "{key}"
            );
        }
    }
}
