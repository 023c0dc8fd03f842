//! The blob suite: what every [`super::BlobStore`] must do, run on files
//! (`fs::tests`) and on S3 (`s3_suite`, against a real moto server).
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use futures_util::TryStreamExt;
use ots_proto::{ShareId, PART_SIZE};

use super::{Blobs, Placed};

async fn read_all(blobs: &Blobs, id: &ShareId, start: u64, end: u64) -> Vec<u8> {
    let chunks: Vec<Bytes> = blobs
        .read_range(id, start, end)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

/// Runs every check on an empty store.
pub(crate) async fn run(blobs: &Blobs) {
    parts_are_put_read_across_their_border_and_deleted(blobs).await;
    a_part_sent_twice_is_placed_once(blobs).await;
    a_missing_part_fails_the_read_before_any_byte(blobs).await;
    ids_are_listed_with_the_time_of_their_newest_part(blobs).await;
    assert!(blobs.health().await.ok, "the storage is writable");
    assert!(
        blobs.share_ids().await.unwrap().is_empty(),
        "the health probe leaves nothing that looks like a share"
    );
}

async fn parts_are_put_read_across_their_border_and_deleted(blobs: &Blobs) {
    let id = ShareId::from_bytes([3; 16]);
    let size = PART_SIZE + 10;
    assert_eq!(blobs.missing_parts(&id, size).await.unwrap(), vec![0, 1]);
    let first: Vec<u8> = (0..PART_SIZE).map(|i| (i % 251) as u8).collect();
    // Out of order: the last part first.
    blobs.put_part(&id, 1, vec![7; 9].into()).await.unwrap();
    blobs.put_part(&id, 0, first.clone().into()).await.unwrap();
    assert_eq!(
        blobs.missing_parts(&id, size).await.unwrap(),
        vec![1],
        "short part"
    );
    assert!(!blobs.has_part(&id, 1, 10).await);
    blobs.put_part(&id, 1, vec![7; 10].into()).await.unwrap();
    assert!(blobs.has_part(&id, 1, 10).await);
    assert!(blobs.missing_parts(&id, size).await.unwrap().is_empty());
    let across = read_all(blobs, &id, PART_SIZE - 3, PART_SIZE + 2).await;
    assert_eq!(across, [&first[first.len() - 3..], &[7, 7]].concat());
    let tail = read_all(blobs, &id, PART_SIZE + 4, size).await;
    assert_eq!(tail, vec![7; 6]);
    assert_eq!(read_all(blobs, &id, 0, size).await.len() as u64, size);
    let ids: Vec<ShareId> = blobs
        .share_ids()
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, vec![id.clone()]);
    assert_eq!(blobs.stored_bytes().await.unwrap(), size);
    assert_eq!(blobs.delete_share(&id).await.unwrap(), size);
    assert_eq!(blobs.delete_share(&id).await.unwrap(), 0);
    assert!(blobs.share_ids().await.unwrap().is_empty());
    assert_eq!(blobs.stored_bytes().await.unwrap(), 0);
    assert_eq!(blobs.missing_parts(&id, size).await.unwrap(), vec![0, 1]);
}

async fn a_part_sent_twice_is_placed_once(blobs: &Blobs) {
    let id = ShareId::from_bytes([4; 16]);
    let placed = blobs.put_part(&id, 0, vec![1; 5].into()).await.unwrap();
    assert_eq!(placed, Placed::New);
    let again = blobs.put_part(&id, 0, vec![2; 5].into()).await.unwrap();
    assert_eq!(again, Placed::Replaced);
    assert_eq!(
        read_all(blobs, &id, 0, 5).await,
        vec![2; 5],
        "the last copy wins"
    );
    assert_eq!(blobs.delete_share(&id).await.unwrap(), 5);
}

async fn a_missing_part_fails_the_read_before_any_byte(blobs: &Blobs) {
    let id = ShareId::from_bytes([6; 16]);
    assert!(blobs.read_range(&id, 0, 10).await.is_err());
    let empty: Vec<Bytes> = blobs
        .read_range(&id, 0, 0)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(empty.is_empty(), "an empty range reads nothing");
}

async fn ids_are_listed_with_the_time_of_their_newest_part(blobs: &Blobs) {
    let a = ShareId::from_bytes([7; 16]);
    let b = ShareId::from_bytes([8; 16]);
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    blobs.put_part(&a, 0, vec![1; 3].into()).await.unwrap();
    blobs.put_part(&b, 0, vec![1; 4].into()).await.unwrap();
    let mut ids = blobs.share_ids().await.unwrap();
    ids.sort_by(|x, y| x.0.as_str().cmp(y.0.as_str()));
    assert_eq!(
        ids.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        vec![a.clone(), b.clone()]
    );
    for (_, at) in &ids {
        if let Some(at) = at {
            assert!(*at > before, "a part's time is its write time");
        }
    }
    assert_eq!(blobs.stored_bytes().await.unwrap(), 7);
    blobs.delete_share(&a).await.unwrap();
    blobs.delete_share(&b).await.unwrap();
}

#[path = "../../tests/common/moto.rs"]
mod moto;

/// A store on a fresh bucket of `moto`, with `prefix` (static keys, path-style, plain http).
pub(crate) fn s3_on(moto: &moto::Moto, prefix: &str) -> Blobs {
    let bucket = moto.new_bucket("suite");
    let builder = object_store::aws::AmazonS3Builder::new()
        .with_endpoint(moto.endpoint())
        .with_allow_http(true)
        .with_access_key_id(moto::ACCESS_KEY)
        .with_secret_access_key(moto::SECRET_KEY)
        .with_region(moto::REGION);
    let url = format!("s3://{bucket}/{prefix}");
    Blobs::new(super::s3::S3Blobs::with_builder(builder, &url).unwrap())
}

#[tokio::test]
async fn the_blob_suite_passes_on_s3_with_and_without_a_prefix() {
    let moto = moto::Moto::start();
    run(&s3_on(&moto, "ots/parts")).await;
    run(&s3_on(&moto, "")).await;
}

#[tokio::test]
async fn an_unreachable_s3_is_an_error_not_a_hang() {
    let mut moto = moto::Moto::start();
    let blobs = s3_on(&moto, "p");
    let id = ShareId::from_bytes([9; 16]);
    blobs.put_part(&id, 0, vec![1; 3].into()).await.unwrap();
    moto.kill();
    let started = std::time::Instant::now();
    assert!(blobs.put_part(&id, 1, vec![1; 3].into()).await.is_err());
    assert!(blobs.missing_parts(&id, 3).await.is_err());
    assert!(blobs.read_range(&id, 0, 3).await.is_err());
    assert!(blobs.delete_share(&id).await.is_err());
    assert!(!blobs.health().await.ok);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "each failure comes within the retry budget"
    );
}
