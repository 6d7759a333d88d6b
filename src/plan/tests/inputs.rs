//! Unit tests of the planner's per-file inputs ([`FileInputs`]): the job comes out final, so
//! what the caller used to patch afterwards is decided here.

use super::*;

fn plan_with(argv: &[&str], dest: &DestFacts, inputs: &FileInputs) -> Job {
    let opts = crate::options::resolve_options(&args(argv)).unwrap();
    let src = file(5000, 16, FsKind::Ext4);
    match plan_job(&opts, target(), &src, dest, inputs) {
        Ok(Planned::Copy(job)) => *job,
        Err(r) => panic!("expected a job, got {:?}", r.error),
    }
}

fn existing() -> DestFacts {
    let mut other = file(5000, 16, FsKind::Ext4);
    other.ino = 11;
    DestFacts::Existing(other)
}

#[test]
fn nofollow_and_restart_settings_reach_the_job() {
    let restart = crate::plan::JobRestart {
        verify: true,
        resumed_from: None,
        keep_unverified: false,
        keep_partial: true,
        verify_hash: false,
    };
    let inputs = FileInputs {
        nofollow: true,
        restart,
        ..FileInputs::default()
    };
    let j = plan_with(&[], &missing(FsKind::Ext4), &inputs);
    assert!(j.nofollow);
    assert_eq!(j.restart, restart);
}

#[test]
fn no_preserve_mode_sets_rw_for_all_less_the_umask_explicitly() {
    let inputs = FileInputs {
        umask: 0o027,
        no_preserve_mode: true,
        ..FileInputs::default()
    };
    let j = plan_with(&[], &missing(FsKind::Ext4), &inputs);
    assert_eq!((j.create_mode, j.explicit_mode), (0o640, true));
    let j = plan_with(&[], &missing(FsKind::Ext4), &FileInputs::default());
    assert_eq!((j.create_mode, j.explicit_mode), (0o644, false));
}

#[test]
fn remove_destination_forces_like_f() {
    let j = plan_with(&[], &existing(), &FileInputs::default());
    assert!(!j.force);
    let inputs = FileInputs {
        remove_destination: true,
        ..FileInputs::default()
    };
    assert!(plan_with(&[], &existing(), &inputs).force);
    assert!(plan_with(&["-f"], &existing(), &FileInputs::default()).force);
}

#[test]
fn a_batch_range_replaces_the_command_line_range() {
    let arg = |v: u64| crate::units::ByteArg {
        value: v,
        text: v.to_string(),
    };
    let inputs = FileInputs {
        range_override: Some(RangeArgs {
            offset_in: Some(arg(10)),
            offset_out: None,
            len: Some(arg(20)),
            names: Default::default(),
        }),
        ..FileInputs::default()
    };
    let j = plan_with(&["--len", "5"], &missing(FsKind::Ext4), &inputs);
    assert_eq!(j.strategy, Strategy::Ranged);
    let r = j.range.unwrap();
    assert_eq!((r.offset_in, r.offset_out, r.len), (10, 0, Some(20)));
}

#[test]
fn a_resumed_copy_is_the_rest_of_the_file_as_a_range() {
    let inputs = FileInputs {
        restart: crate::plan::JobRestart {
            resumed_from: Some(4096),
            keep_unverified: false,
            keep_partial: true,
            verify: false,
            verify_hash: false,
        },
        ..FileInputs::default()
    };
    let j = plan_with(&[], &existing(), &inputs);
    assert_eq!(j.strategy, Strategy::Ranged);
    let r = j.range.unwrap();
    assert_eq!((r.offset_in, r.offset_out, r.len), (4096, 4096, Some(904)));
    assert_eq!(j.restart.resumed_from, Some(4096));
}
