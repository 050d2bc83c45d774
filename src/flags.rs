//! V8 flags for our V8, from Node's command line and environment.
//!
//! The original isolated-vm shares Node's V8, so `node --expose-gc` gives its isolates `gc()`.
//! Ours is a V8 of its own: lib/flags.js hands us the flags Node was started with (its
//! `execArgv` and `NODE_OPTIONS`) and those of `ISOLATED_VM_V8_FLAGS`, before the first isolate
//! starts V8. Only a set of flags known to be harmless is applied; flags that would undo the
//! limits isolated-vm enforces are refused with a warning. V8 flags apply to the whole process
//! and are frozen once V8 starts (setting one later crashes): flags that arrive after that
//! (from a worker thread, say) are reported as not applied.

use parking_lot::Mutex;

/// `--stack-size` is capped so that an isolate's stack fits in the threads it runs on: our pool
/// threads (8 MB) and Node's threads, whose smallest, a worker's, has 4 MB by default.
const MAX_STACK_SIZE_KB: u32 = 3584;

/// Where a flag comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
  /// Node's own options (`execArgv`, `NODE_OPTIONS`): most are not V8 flags, and those that are
  /// were meant for Node's V8 too. Flags outside the supported set are ignored quietly, unless
  /// they would break the limits.
  Node,
  /// `ISOLATED_VM_V8_FLAGS`: meant for us, so every flag not applied gets a warning.
  Explicit,
}

enum Verdict {
  Apply(String),
  Refuse(String),
  Ignore,
}

struct State {
  /// Set when V8 starts; flags are frozen from then on.
  started: bool,
  /// The flags applied, as given to V8.
  applied: Vec<String>,
}

static STATE: Mutex<State> = Mutex::new(State { started: false, applied: Vec::new() });

/// Applies the supported flags among `flags` now, if V8 has not started yet. Returns a warning
/// for each flag refused, unknown to our V8, or too late.
pub fn request(flags: &[String], source: Source) -> Vec<String> {
  let mut state = STATE.lock();
  let mut warnings = Vec::new();
  for flag in flags {
    match classify(flag, source) {
      Verdict::Ignore => {}
      Verdict::Refuse(reason) => warnings.push(format!("isolated-vm: V8 flag {flag} is not applied: {reason}")),
      Verdict::Apply(flag) if state.started => {
        if !state.applied.contains(&flag) {
          warnings.push(format!(
            "isolated-vm: V8 flag {flag} is not applied: isolated-vm's V8 started before it was given (V8 flags apply to the whole process and must be set before its first isolate)"
          ));
        }
      }
      Verdict::Apply(flag) => {
        // One flag at a time: V8 stops at the first flag it rejects. What comes back is what
        // V8 did not recognize (after the program name).
        let unknown = v8::V8::set_flags_from_command_line(vec!["isolated-vm".to_string(), flag.clone()]);
        if unknown.len() > 1 {
          warnings.push(format!("isolated-vm: V8 flag {flag} is not applied: isolated-vm's V8 ({}) has no such flag", v8::VERSION_STRING));
        } else if !state.applied.contains(&flag) {
          state.applied.push(flag);
        }
      }
    }
  }
  warnings
}

/// Marks V8 started: from now on flags cannot change. Called by platform::init just before
/// V8 initializes, which freezes them.
pub fn freeze() {
  STATE.lock().started = true;
}

/// What to do with one flag, as given (`--name`, `--no-name`, `--name=value`; V8 also accepts
/// underscores in names).
fn classify(flag: &str, source: Source) -> Verdict {
  let refuse_unsupported = |reason: &str| match source {
    Source::Node => Verdict::Ignore,
    Source::Explicit => Verdict::Refuse(reason.to_string()),
  };
  let Some(body) = flag.strip_prefix("--").filter(|body| !body.is_empty()) else {
    return refuse_unsupported("it is not a V8 flag (flags start with --)");
  };
  let (name, value) = match body.split_once('=') {
    Some((name, value)) => (name.replace('_', "-"), Some(value)),
    None => (body.replace('_', "-"), None),
  };
  let (negated, base) = match name.strip_prefix("no-") {
    Some(base) => (true, base.to_string()),
    None => (false, name.clone()),
  };
  if let Some(reason) = breaks_limits(&base, negated) {
    return Verdict::Refuse(reason.to_string());
  }
  let canonical = match value {
    Some(value) => format!("--{name}={value}"),
    None => format!("--{name}"),
  };
  match base.as_str() {
    "stack-size" | "stack-trace-limit" | "expose-gc-as" if negated => Verdict::Refuse("it takes a value".to_string()),
    "stack-size" => match value.and_then(|v| v.parse::<u32>().ok()) {
      Some(kb) if (1..=MAX_STACK_SIZE_KB).contains(&kb) => Verdict::Apply(canonical),
      _ => Verdict::Refuse(format!(
        "isolated-vm takes a stack size from 1 to {MAX_STACK_SIZE_KB} (KB), which fits the stacks of the threads isolates run on"
      )),
    },
    "stack-trace-limit" => match value.and_then(|v| v.parse::<u32>().ok()) {
      Some(_) => Verdict::Apply(canonical),
      None => Verdict::Refuse("it takes a number of frames".to_string()),
    },
    "expose-gc-as" => match value.filter(|name| is_identifier(name)) {
      Some(_) => Verdict::Apply(canonical),
      None => Verdict::Refuse("it takes the name of a global function".to_string()),
    },
    base if is_boolean_flag(base) => match value {
      None => Verdict::Apply(canonical),
      Some(_) => Verdict::Refuse("it takes no value".to_string()),
    },
    _ => refuse_unsupported("isolated-vm applies only the V8 flags listed in its README"),
  }
}

/// The supported flags that are switches: exposing `gc()`, language features, and compiler
/// choices that only make code slower or stricter.
fn is_boolean_flag(name: &str) -> bool {
  matches!(
    name,
    "expose-gc" | "jitless" | "max-lazy" | "lazy" | "disallow-code-generation-from-strings" | "opt" | "turbofan" | "maglev" | "sparkplug"
  ) || name == "harmony"
    || name.starts_with("harmony-")
    || name.starts_with("js-")
}

/// Why a flag would break what isolated-vm guarantees, if it would.
fn breaks_limits(name: &str, negated: bool) -> Option<&'static str> {
  if ["heap-size", "space-size", "semi-space", "generation-size"].iter().any(|part| name.contains(part)) {
    return Some("it would change the heap sizes that isolates' memory limits set");
  }
  if negated {
    return None;
  }
  Some(match name {
    name if name.starts_with("turboshaft-loop-unrolling") => {
      "unrolled loops lose the interrupt checks that timeouts and memory limits rely on"
    }
    "allow-natives-syntax" => "it would let isolate code call V8's internal functions",
    "abort-on-uncaught-exception" => "it would abort the process on any exception thrown in an isolate",
    "harmony-struct" => "shared structs live in a heap shared between isolates, outside their memory limits",
    name if name.starts_with("expose-") && name != "expose-gc" && name != "expose-gc-as" => {
      "it would give isolate code V8's internal extensions"
    }
    _ => return None,
  })
}

fn is_identifier(name: &str) -> bool {
  let mut chars = name.chars();
  chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
  use super::*;

  fn verdict(flag: &str, source: Source) -> String {
    match classify(flag, source) {
      Verdict::Apply(flag) => format!("apply {flag}"),
      Verdict::Refuse(reason) => format!("refuse: {reason}"),
      Verdict::Ignore => "ignore".to_string(),
    }
  }

  #[test]
  fn supported_flags_are_applied_in_canonical_form() {
    assert_eq!(verdict("--expose_gc", Source::Node), "apply --expose-gc");
    assert_eq!(verdict("--no-opt", Source::Explicit), "apply --no-opt");
    assert_eq!(verdict("--stack-size=2000", Source::Node), "apply --stack-size=2000");
    assert_eq!(verdict("--harmony-temporal", Source::Node), "apply --harmony-temporal");
    assert_eq!(verdict("--expose-gc-as=collect", Source::Explicit), "apply --expose-gc-as=collect");
  }

  #[test]
  fn flags_that_break_limits_are_refused_from_any_source() {
    for source in [Source::Node, Source::Explicit] {
      assert_eq!(verdict("--max-old-space-size=100", source), "refuse: it would change the heap sizes that isolates' memory limits set");
      assert_eq!(verdict("--allow_natives_syntax", source), "refuse: it would let isolate code call V8's internal functions");
      assert_eq!(
        verdict("--turboshaft-loop-unrolling", source),
        "refuse: unrolled loops lose the interrupt checks that timeouts and memory limits rely on"
      );
      assert_eq!(verdict("--expose-externalize-string", source), "refuse: it would give isolate code V8's internal extensions");
    }
    // Turning a dangerous feature off is harmless.
    assert_eq!(
      verdict("--no-allow-natives-syntax", Source::Explicit),
      "refuse: isolated-vm applies only the V8 flags listed in its README"
    );
  }

  #[test]
  fn values_are_checked() {
    assert_eq!(
      verdict("--stack-size=99999", Source::Node),
      "refuse: isolated-vm takes a stack size from 1 to 3584 (KB), which fits the stacks of the threads isolates run on"
    );
    assert_eq!(verdict("--no-stack-size", Source::Node), "refuse: it takes a value");
    assert_eq!(verdict("--expose-gc-as=1x", Source::Node), "refuse: it takes the name of a global function");
    assert_eq!(verdict("--jitless=1", Source::Node), "refuse: it takes no value");
  }

  #[test]
  fn unknown_options_are_ignored_from_node_and_refused_when_asked_for() {
    assert_eq!(verdict("--no-deprecation", Source::Node), "ignore");
    assert_eq!(verdict("-r", Source::Node), "ignore");
    assert_eq!(verdict("--nonsense", Source::Explicit), "refuse: isolated-vm applies only the V8 flags listed in its README");
    assert_eq!(verdict("expose-gc", Source::Explicit), "refuse: it is not a V8 flag (flags start with --)");
  }
}
