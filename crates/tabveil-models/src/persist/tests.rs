use super::*;

fn example() -> SavedModel {
    let mut m = SavedModel::new(ModelKind::Ctgan);
    m.put_json("config", &serde_json::json!({"a": 1, "b": [1.5, 2.0]}))
        .unwrap();
    m.parts
        .insert("schema".into(), "{\n  \"x\": \"é\"\n}".into());
    m.tensors.insert(
        "b.weight".into(),
        HostTensor {
            shape: vec![2, 3],
            values: vec![0.5, -1.0, 2.25, f32::MIN_POSITIVE, 1e30, -0.0],
        },
    );
    m.tensors.insert(
        "a.bias".into(),
        HostTensor {
            shape: vec![1],
            values: vec![3.0],
        },
    );
    m
}

#[test]
fn bytes_round_trip_and_are_deterministic() {
    let m = example();
    let bytes = m.to_bytes().unwrap();
    assert_eq!(bytes, m.to_bytes().unwrap());
    let back = SavedModel::from_bytes(&bytes).unwrap();
    assert_eq!(back, m);
    assert_eq!(saved_model_kind(&bytes).unwrap(), ModelKind::Ctgan);
    // Tensors are stored in sorted-name order.
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let a = st.tensor("a.bias").unwrap().data().as_ptr() as usize;
    let b = st.tensor("b.weight").unwrap().data().as_ptr() as usize;
    assert!(a < b);
}

#[test]
fn directory_round_trip() {
    let dir = std::env::temp_dir().join(format!("tabveil-persist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let m = example();
    save_model_dir(&dir, &[], |s| m.write_into(s)).unwrap();
    let back = SavedModel::load_dir(&dir).unwrap();
    assert_eq!(back, m);
    // A changed part file is caught by the checksum.
    std::fs::write(dir.join("config.json"), "{\"a\":2,\"b\":[1.5,2.0]}").unwrap();
    assert!(matches!(
        SavedModel::load_dir(&dir),
        Err(ModelError::ChecksumMismatch { .. })
    ));
    std::fs::remove_file(dir.join("config.json")).unwrap();
    assert!(matches!(
        SavedModel::load_dir(&dir),
        Err(ModelError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(
        SavedModel::load_dir(&dir),
        Err(ModelError::Io { .. })
    ));
}

#[test]
fn every_single_bit_flip_is_an_error_or_harmless() {
    let m = example();
    let bytes = m.to_bytes().unwrap();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            match SavedModel::from_bytes(&b) {
                Err(_) => {}
                // Only changes that leave the content identical (header whitespace) may load.
                Ok(back) => assert_eq!(back, m, "byte {i} bit {bit}"),
            }
        }
    }
}

#[test]
fn wrong_version_kind_and_truncation_are_typed() {
    let m = example();
    let bytes = m.to_bytes().unwrap();
    for len in [0, 7, 8, 20, bytes.len() - 1] {
        assert!(matches!(
            SavedModel::from_bytes(&bytes[..len]),
            Err(ModelError::CorruptModel { .. })
        ));
    }
    let bumped = replace(
        &bytes,
        b"\"format_version\":\"1\"",
        b"\"format_version\":\"9\"",
    );
    assert!(matches!(
        SavedModel::from_bytes(&bumped),
        Err(ModelError::UnsupportedFormat { found: 9, .. })
    ));
    let unknown = replace(&bytes, b"\"model\":\"ctgan\"", b"\"model\":\"gan_x\"");
    assert!(matches!(
        SavedModel::from_bytes(&unknown),
        Err(ModelError::CorruptModel { .. })
    ));
    let back = SavedModel::from_bytes(&bytes).unwrap();
    assert!(matches!(
        back.expect_kind(ModelKind::Tvae),
        Err(ModelError::WrongModelKind { .. })
    ));
    // A plain safetensors file without our metadata.
    let plain = safetensors::serialize(
        vec![(
            "w",
            safetensors::tensor::TensorView::new(Dtype::F32, vec![1], &[0, 0, 0, 0]).unwrap(),
        )],
        None,
    )
    .unwrap();
    assert!(matches!(
        SavedModel::from_bytes(&plain),
        Err(ModelError::CorruptModel { .. })
    ));
}

/// `bytes` with the first occurrence of `from` replaced by `to` (same length).
fn replace(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("pattern present");
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

mod dir_tests {
    //! `save_model_dir` and `check_model_dir` (issue 12): what is replaced, what is refused,
    //! what is cleaned.

    use super::*;
    use std::path::PathBuf;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tabveil-persist-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_model_is_replaced_whole_and_a_failed_fill_changes_nothing() {
        let root = scratch("swap");
        let dir = root.join("m");
        let m = example();
        save_model_dir(&dir, &[], |s| m.write_into(s)).unwrap();
        let before = std::fs::read(dir.join(MODEL_MANIFEST_FILE)).unwrap();
        // A fill that fails leaves the old model and nothing beside it.
        let err = save_model_dir(&dir, &[], |s| {
            s.write("config.json", b"half")?;
            Err(ModelError::Internal("interrupted"))
        });
        assert!(err.is_err());
        assert_eq!(
            std::fs::read(dir.join(MODEL_MANIFEST_FILE)).unwrap(),
            before
        );
        assert_eq!(names(&root), vec!["m"]);
        // A fill that does not make a loadable model is not put in place either.
        assert!(save_model_dir(&dir, &[], |s| s.write("model.json", b"{}")).is_err());
        assert_eq!(names(&root), vec!["m"]);
        // A good one replaces it, with the extra file the caller vouches for.
        save_model_dir(&dir, &["extra.json"], |s| {
            m.write_into(s)?;
            s.write("extra.json", b"{}")
        })
        .unwrap();
        assert!(dir.join("extra.json").is_file());
        assert!(!dir.join(STAGING_MARKER).exists());
        assert_eq!(names(&root), vec!["m"]);
        // Without vouching for extra.json, the model holding it is not replaced.
        assert!(matches!(
            save_model_dir(&dir, &[], |s| m.write_into(s)),
            Err(ModelError::OutputRefused { .. })
        ));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn foreign_folders_files_and_links_are_refused_untouched() {
        let root = scratch("foreign");
        let m = example();
        let fill = |s: &StagingDir| m.write_into(s);
        // A file.
        std::fs::write(root.join("file"), "x").unwrap();
        assert!(matches!(
            save_model_dir(&root.join("file"), &[], fill),
            Err(ModelError::OutputRefused { .. })
        ));
        assert_eq!(std::fs::read_to_string(root.join("file")).unwrap(), "x");
        // A model with a subfolder added.
        let dir = root.join("m");
        save_model_dir(&dir, &[], fill).unwrap();
        std::fs::create_dir(dir.join("src")).unwrap();
        assert!(save_model_dir(&dir, &[], fill).is_err());
        assert!(dir.join("src").is_dir());
        std::fs::remove_dir(dir.join("src")).unwrap();
        // A model file replaced by a link.
        std::fs::remove_file(dir.join("config.json")).unwrap();
        std::fs::write(root.join("elsewhere.json"), "{\"a\":1,\"b\":[1.5,2.0]}").unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere.json"), dir.join("config.json")).unwrap();
        assert!(save_model_dir(&dir, &[], fill).is_err());
        assert!(
            std::fs::symlink_metadata(dir.join("config.json"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        // A link to a model folder: the folder is replaced, the link stays.
        let target = root.join("target");
        save_model_dir(&target, &[], fill).unwrap();
        std::os::unix::fs::symlink(&target, root.join("link")).unwrap();
        save_model_dir(&root.join("link"), &[], fill).unwrap();
        assert!(
            std::fs::symlink_metadata(root.join("link"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(SavedModel::load_dir(&target).is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_check_probes_without_leaving_anything() {
        let root = scratch("check");
        check_model_dir(&root.join("a/b/m"), &[], 1 << 20).unwrap();
        assert!(names(&root).is_empty(), "{:?}", names(&root));
        std::fs::write(root.join("f"), "x").unwrap();
        let err = check_model_dir(&root.join("f/m"), &[], 0).unwrap_err();
        assert!(err.to_string().contains("is a file"), "{err}");
        assert_eq!(names(&root), vec!["f"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
