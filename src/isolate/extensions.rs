//! State that the layers above the isolate runtime keep per isolate (the module registry, the
//! inspector, the deadlines of promises, the outcome of a running task): each is a type of its
//! own layer, which the runtime only stores, tells of the isolate's disposal, and lets go of with
//! the V8 isolate. So the runtime names none of them.

use std::any::{Any, TypeId};
use std::sync::Arc;

use parking_lot::Mutex;

/// What a layer keeps in an isolate. Each keeps its own locks: the store's lock is only held to
/// find it.
pub trait Extension: Any + Send + Sync {
  /// The isolate was disposed. Called once, with no lock of the store held.
  fn disposed(&self) {}

  /// What must be dropped while the V8 isolate still exists, with it locked (V8 objects held by
  /// Rust code), taken when the isolate is destroyed.
  fn take_before_teardown(&self) -> Option<Box<dyn Send>> {
    None
  }
}

#[derive(Default)]
pub struct Extensions {
  // A handful at most: a list is faster to search than a map.
  slots: Mutex<Vec<(TypeId, Arc<dyn Extension>)>>,
}

fn downcast<T: Extension>(extension: Arc<dyn Extension>) -> Arc<T> {
  let any: Arc<dyn Any + Send + Sync> = extension;
  any.downcast::<T>().unwrap_or_else(|_| unreachable!("slots are keyed by their type"))
}

impl Extensions {
  /// The isolate's `T`, made the first time it is asked for.
  pub fn get<T: Extension + Default>(&self) -> Arc<T> {
    let mut slots = self.slots.lock();
    if let Some((_, extension)) = slots.iter().find(|(id, _)| *id == TypeId::of::<T>()) {
      return downcast(extension.clone());
    }
    let extension = Arc::new(T::default());
    slots.push((TypeId::of::<T>(), extension.clone()));
    extension
  }

  /// The isolate's `T`, if it was ever made.
  pub fn existing<T: Extension>(&self) -> Option<Arc<T>> {
    let slots = self.slots.lock();
    slots.iter().find(|(id, _)| *id == TypeId::of::<T>()).map(|(_, extension)| downcast(extension.clone()))
  }

  pub(crate) fn disposed(&self) {
    let all: Vec<Arc<dyn Extension>> = self.slots.lock().iter().map(|(_, extension)| extension.clone()).collect();
    for extension in all {
      extension.disposed();
    }
  }

  pub(crate) fn take_before_teardown(&self) -> Vec<Box<dyn Send>> {
    let all: Vec<Arc<dyn Extension>> = self.slots.lock().iter().map(|(_, extension)| extension.clone()).collect();
    all.iter().filter_map(|extension| extension.take_before_teardown()).collect()
  }
}
