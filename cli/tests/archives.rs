//! Shares of several files (protocol 1.1 §3): `ots send a b dir/` and
//! `ots get` / `ots get --extract`, against a real server on port 0, with
//! real files. Hostile archives are sealed as real shares through the
//! protocol, so `--extract` meets them exactly as it would from a stranger.

mod common;

use std::path::Path;

use async_zip::base::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use common::{link_id, ots, random_bytes, seal_share, sha256, tree, TestServer};
use futures_util::io::Cursor;
use ots_proto::{FileEntry, Meta};

const MIB: usize = 1024 * 1024;

/// A folder of files to send: text, an incompressible "photo", a hidden
/// file, a unicode name and a sub-folder.
fn source_tree(root: &Path) {
    std::fs::create_dir_all(root.join("dir/sub")).expect("test setup");
    std::fs::write(root.join("a.txt"), "alpha\n".repeat(1000)).expect("test setup");
    std::fs::write(root.join("photo.jpg"), random_bytes(300_000, 1)).expect("test setup");
    std::fs::write(root.join("dir/.hidden"), "dot file").expect("test setup");
    std::fs::write(root.join("dir/résumé ☃.txt"), "ünïcödé").expect("test setup");
    std::fs::write(root.join("dir/sub/big.bin"), random_bytes(3 * MIB, 2)).expect("test setup");
    std::fs::write(root.join("dir/sub/empty"), "").expect("test setup");
}

fn same_file(a: &Path, b: &Path) {
    let (x, y) = (
        std::fs::read(a).expect("test setup"),
        std::fs::read(b).expect("test setup"),
    );
    assert!(
        x.len() == y.len() && sha256(&x) == sha256(&y),
        "{} differs from {}",
        a.display(),
        b.display()
    );
}

/// The archive as an independent reader (Python's zipfile) sees it:
/// `name method size` per entry, after checking every CRC.
fn python_listing(zip: &Path) -> Vec<String> {
    let script = "import sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  bad = z.testzip()\n\
                  assert bad is None, bad\n\
                  for i in z.infolist(): print(i.filename, i.compress_type, i.file_size)\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, zip.to_str().expect("test setup")])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python's zipfile refused the archive: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("test setup")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_a_folder_round_trip_as_a_zip_and_extracted() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path());
    let (share, _) = ots([
        "send",
        "a.txt",
        "photo.jpg",
        "dir/",
        "--downloads",
        "2",
        "--server",
        &server.origin,
    ])
    .cwd(src.path())
    .run()
    .await
    .links();

    // Without --extract: the archive itself, and its list on stderr.
    let saved = tempfile::tempdir().unwrap();
    let got = ots(["get", &share]).cwd(saved.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(tree(saved.path()), ["files.zip"]);
    for name in ["a.txt", "photo.jpg", "dir/résumé ☃.txt", "dir/sub/big.bin"] {
        assert!(got.stderr.contains(&format!("{name:?}")), "{}", got.stderr);
    }
    // Relative names only; STORED (0) for the JPEG, DEFLATE (8) for text.
    let listing = python_listing(&saved.path().join("files.zip"));
    assert_eq!(
        listing,
        [
            "a.txt 8 6000",
            "photo.jpg 0 300000",
            "dir/.hidden 8 8",
            "dir/résumé ☃.txt 8 11",
            "dir/sub/big.bin 0 3145728",
            "dir/sub/empty 8 0",
        ]
        .map(String::from)
        .to_vec(),
        "big.bin is incompressible, so it is stored too"
    );

    // With --extract: the same files, byte for byte, in a folder it makes.
    let out = tempfile::tempdir().unwrap();
    let into = out.path().join("unpacked");
    let got = ots(["get", &share, "--extract", into.to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert!(got.stderr.contains("extracted 6 file(s)"), "{}", got.stderr);
    assert_eq!(
        tree(&into),
        [
            "a.txt",
            "dir/",
            "dir/.hidden",
            "dir/résumé ☃.txt",
            "dir/sub/",
            "dir/sub/big.bin",
            "dir/sub/empty",
            "photo.jpg",
        ]
    );
    for rel in [
        "a.txt",
        "photo.jpg",
        "dir/.hidden",
        "dir/résumé ☃.txt",
        "dir/sub/big.bin",
        "dir/sub/empty",
    ] {
        same_file(&src.path().join(rel), &into.join(rel));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_folder_is_sent_as_its_own_zip() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    source_tree(src.path());
    let dir = src.path().join("dir");
    let (share, _) = ots(["send", dir.to_str().unwrap(), "--server", &server.origin])
        .run()
        .await
        .links();
    let saved = tempfile::tempdir().unwrap();
    let got = ots(["get", &share]).cwd(saved.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(tree(saved.path()), ["dir.zip"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_files_of_one_name_are_refused_before_anything_is_sent() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("a")).unwrap();
    std::fs::create_dir_all(src.path().join("b")).unwrap();
    std::fs::write(src.path().join("a/x.txt"), "one").unwrap();
    std::fs::write(src.path().join("b/x.txt"), "two").unwrap();
    let run = ots(["send", "a/x.txt", "b/x.txt", "--server", &server.origin])
        .cwd(src.path())
        .run()
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("would both be \"x.txt\""),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_inside_a_folder_are_not_followed_out_of_it() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "outside the tree").unwrap();
    std::fs::create_dir_all(src.path().join("dir")).unwrap();
    std::fs::write(src.path().join("dir/kept.txt"), "kept").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), src.path().join("dir/leak")).unwrap();
    let (share, _) = ots(["send", "dir", "--server", &server.origin])
        .cwd(src.path())
        .run()
        .await
        .links();
    let out = tempfile::tempdir().unwrap();
    let got = ots(["get", &share, "--extract", out.path().to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(tree(out.path()), ["dir/", "dir/kept.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_never_overwrites_without_force() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("a.txt"), "theirs").unwrap();
    std::fs::write(src.path().join("b.txt"), "bee").unwrap();
    let (share, _) = ots([
        "send",
        "a.txt",
        "b.txt",
        "--downloads",
        "2",
        "--server",
        &server.origin,
    ])
    .cwd(src.path())
    .run()
    .await
    .links();
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("a.txt"), "mine").unwrap();

    let got = ots(["get", &share, "--extract", out.path().to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 1, "{}", got.stderr);
    assert!(
        got.stderr.contains("already exists (use --force"),
        "{}",
        got.stderr
    );
    assert!(
        got.stderr.contains("nothing was extracted"),
        "{}",
        got.stderr
    );
    // Nothing replaced, nothing added but the archive, kept so nothing is lost.
    assert_eq!(
        std::fs::read_to_string(out.path().join("a.txt")).unwrap(),
        "mine"
    );
    assert_eq!(tree(out.path()), ["a.txt", "files.zip"]);

    std::fs::remove_file(out.path().join("files.zip")).unwrap();
    let got = ots([
        "get",
        &share,
        "--extract",
        out.path().to_str().unwrap(),
        "--force",
    ])
    .run()
    .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(
        std::fs::read_to_string(out.path().join("a.txt")).unwrap(),
        "theirs"
    );
    assert_eq!(tree(out.path()), ["a.txt", "b.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_share_of_several_files_extracts_nothing() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("one.bin"), random_bytes(3 * MIB, 3)).unwrap();
    std::fs::write(src.path().join("two.bin"), random_bytes(MIB, 4)).unwrap();
    let (share, _) = ots(["send", "one.bin", "two.bin", "--server", &server.origin])
        .cwd(src.path())
        .run()
        .await
        .links();
    let part = &server.part_files(&link_id(&share))[0];
    let mut bytes = std::fs::read(part).unwrap();
    bytes[2 * MIB] ^= 1;
    std::fs::write(part, bytes).unwrap();

    let out = tempfile::tempdir().unwrap();
    let into = out.path().join("new");
    let got = ots(["get", &share, "--extract", into.to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 5, "{}", got.stderr);
    assert!(!into.exists(), "the folder made for it is gone again");
    assert_eq!(tree(out.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_file_list_is_cut_in_the_meta_and_the_archive_holds_all() {
    let server = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let dir = src.path().join("many");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..400 {
        std::fs::write(dir.join(format!("file-{i:04}.txt")), format!("{i}")).unwrap();
    }
    let (share, _) = ots([
        "send",
        "many",
        "--downloads",
        "2",
        "--server",
        &server.origin,
    ])
    .cwd(src.path())
    .run()
    .await
    .links();
    let saved = tempfile::tempdir().unwrap();
    let got = ots(["get", &share]).cwd(saved.path()).run().await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    let listed = got.stderr.lines().filter(|l| l.contains("file-")).count();
    assert!(
        (50..400).contains(&listed),
        "the sealed list fits 4 KiB: {listed}"
    );
    assert!(got.stderr.contains("\"many/file-0000.txt\""));

    let out = tempfile::tempdir().unwrap();
    let got = ots(["get", &share, "--extract", out.path().to_str().unwrap()])
        .run()
        .await;
    assert_eq!(got.code, 0, "{}", got.stderr);
    assert_eq!(tree(&out.path().join("many")).len(), 400);
}

/// A ZIP archive holding `entries` (name, unix mode, content) as written
/// by a hostile sender.
async fn hostile_zip(entries: &[(&str, u16, &[u8])]) -> Vec<u8> {
    let mut zip = ZipFileWriter::new(Cursor::new(Vec::new()));
    for (name, mode, data) in entries {
        let entry = ZipEntryBuilder::new((*name).to_string().into(), Compression::Stored)
            .unix_permissions(*mode);
        zip.write_entry_whole(entry, data)
            .await
            .expect("test setup");
    }
    zip.close().await.expect("test setup").into_inner()
}

/// Seals `zip` as a share of several files and runs `ots get --extract`
/// into a fresh folder; returns the run and the folder's parent.
async fn extract_hostile(server: &TestServer, zip: &[u8]) -> (common::Run, tempfile::TempDir) {
    let meta = Meta::files(
        "evil.zip",
        zip.len() as u64,
        vec![FileEntry {
            name: "innocent.txt".into(),
            size: 1,
        }],
    );
    let (share, _) = seal_share(&server.origin, &meta, zip).await;
    let parent = tempfile::tempdir().expect("test setup");
    let into = parent.path().join("out");
    let run = ots([
        "get",
        &share,
        "--extract",
        into.to_str().expect("test setup"),
    ])
    .run()
    .await;
    (run, parent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_entries_are_refused_and_nothing_is_extracted() {
    let server = TestServer::start().await;
    let cases: &[(&str, u16, &str)] = &[
        ("../escaped.txt", 0o100644, "climbs out"),
        ("ok/../../escaped.txt", 0o100644, "climbs out"),
        ("/tmp/absolute.txt", 0o100644, "absolute path"),
        ("C:/Windows/evil.txt", 0o100644, "drive letter"),
        ("dir\\..\\evil.txt", 0o100644, "backslash"),
        ("dir/CON", 0o100644, "reserved device name"),
        ("aux.txt", 0o100644, "reserved device name"),
        ("link", 0o120777, "symbolic link"),
        ("tty", 0o020644, "device, pipe or socket"),
    ];
    for (name, mode, why) in cases {
        // A harmless entry first: it must not be extracted either.
        let zip = hostile_zip(&[
            ("innocent.txt", 0o100644, b"fine"),
            (name, *mode, b"/etc/passwd"),
        ])
        .await;
        let (run, parent) = extract_hostile(&server, &zip).await;
        assert_eq!(run.code, 6, "{name}: {}", run.stderr);
        assert!(run.stderr.contains(why), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing was extracted"),
            "{}",
            run.stderr
        );
        // Only the authenticated archive is kept, in the target folder.
        assert_eq!(tree(parent.path()), ["out/", "out/evil.zip"], "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_holding_one_name_twice_is_refused() {
    let server = TestServer::start().await;
    let zip = hostile_zip(&[
        ("same.txt", 0o100644, b"first"),
        ("same.txt", 0o100644, b"second"),
    ])
    .await;
    let (run, parent) = extract_hostile(&server, &zip).await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("twice"), "{}", run.stderr);
    assert_eq!(tree(parent.path()), ["out/", "out/evil.zip"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_of_files_that_is_no_zip_is_refused_and_kept() {
    let server = TestServer::start().await;
    let (run, parent) = extract_hostile(&server, b"this is not a zip archive at all").await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("malformed"), "{}", run.stderr);
    assert_eq!(tree(parent.path()), ["out/", "out/evil.zip"]);
}
