//! Unit tests of [`super`].

use super::*;

fn filter(exclude: &[&str], include: &[&str]) -> Filter {
    let args = RestartArgs {
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        include: include.iter().map(|s| s.to_string()).collect(),
        ..RestartArgs::default()
    };
    Filter::from_args(&args).unwrap().unwrap()
}

#[test]
fn names_match_at_any_depth_paths_are_anchored() {
    let f = filter(&["*.o", "build/", "docs/*.tmp"], &["keep.o"]);
    assert!(f.excludes(Path::new("a.o"), false));
    assert!(f.excludes(Path::new("x/y/a.o"), false));
    assert!(!f.excludes(Path::new("x/keep.o"), false));
    assert!(f.excludes(Path::new("x/build"), true));
    assert!(
        !f.excludes(Path::new("x/build"), false),
        "dir/ matches directories only"
    );
    assert!(f.excludes(Path::new("docs/a.tmp"), false));
    assert!(
        !f.excludes(Path::new("docs/sub/a.tmp"), false),
        "* does not cross /"
    );
    assert!(!f.excludes(Path::new("other/docs/a.tmp"), false));
}

#[test]
fn double_star_crosses_directories() {
    let f = filter(&["/cache/**/*.bin"], &[]);
    assert!(f.excludes(Path::new("cache/a/b/c.bin"), false));
    assert!(!f.excludes(Path::new("x/cache/c.bin"), false));
}

#[test]
fn bad_patterns_are_refused() {
    let args = RestartArgs {
        exclude: vec!["a[".into()],
        ..RestartArgs::default()
    };
    let err = Filter::from_args(&args).unwrap_err();
    assert!(err.to_string().contains("'a['"), "{err}");
}
