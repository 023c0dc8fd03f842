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
    // Its shares (random ids, so random slots) ran their scripts on every master.
    for port in &cluster.ports {
        let stats = cluster.cli(*port, &["INFO", "commandstats"]);
        let calls: u64 = stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(calls > 0, "no script ran on the master at {port}");
    }
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
