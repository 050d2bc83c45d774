//! The interface a binding function sees, whichever world calls it.
//!
//! The public classes exist in two worlds: in Node (through Node-API) and inside our isolates
//! (through V8 templates). Both run the same JavaScript facade over the same binding functions;
//! a binding function reads its arguments and produces its result through `Front`, so it is
//! written once. The facade validates arguments, so binding functions may assume their shape;
//! they still check handles, which user code can forge.

use std::sync::Arc;

use super::Realm;
use crate::bridge::completion::Completion;
use crate::error::Result;
use crate::transfer::handle::Handle;
use crate::transfer::{CallMode, CallbackData, CopyData, Primitive, RefData, Str, TransferOptions, Transferable};

pub trait Front {
  /// The world the call comes from.
  fn realm(&self) -> Realm;

  /// The number of arguments.
  fn argc(&self) -> usize;
  fn is_nullish(&mut self, index: usize) -> bool;
  fn string(&mut self, index: usize) -> Result<Str>;
  fn number(&mut self, index: usize) -> Result<f64>;
  fn boolean(&mut self, index: usize) -> Result<bool>;

  /// The native state of an isolated-vm object passed as an argument.
  fn handle(&mut self, index: usize) -> Result<Arc<Handle>>;
  /// The native state of an isolated-vm object, or `None` if the argument is something else.
  fn try_handle(&mut self, index: usize) -> Result<Option<Arc<Handle>>>;

  /// An argument, made transferable according to `options`; `None` if it is not transferable.
  fn transferable(&mut self, index: usize, options: TransferOptions) -> Result<Option<Transferable>>;
  /// Like `transferable`, but a non-transferable argument is an error.
  fn transfer_out(&mut self, index: usize, options: TransferOptions) -> Result<Transferable>;
  /// Each element of an array argument, made transferable; an error if one is not.
  fn transferable_list(&mut self, index: usize, options: TransferOptions) -> Result<Vec<Transferable>>;
  /// A copy of an argument (isolated-vm's `ExternalCopy::Copy`): a top-level ArrayBuffer is moved
  /// with `transfer_out`, as are the ArrayBuffers of the array argument at `transfer_list`.
  fn copy(&mut self, index: usize, transfer_out: bool, transfer_list: Option<usize>) -> Result<Arc<CopyData>>;
  /// An argument that is a primitive (not a symbol), as it is.
  fn primitive(&mut self, index: usize) -> Result<Option<Primitive>>;
  /// A copy of all the arguments, as one array.
  fn copy_arguments(&mut self) -> Result<Arc<CopyData>>;
  /// A Reference to an argument, in this world.
  fn reference(&mut self, index: usize, inherit: bool) -> Result<Arc<RefData>>;
  /// A Callback around a function argument of this world.
  fn callback(&mut self, index: usize, mode: CallMode) -> Result<Arc<CallbackData>>;
  /// Installs `handle` as the native state of the facade object passed as an argument.
  fn bind(&mut self, index: usize, handle: Handle) -> Result<()>;

  fn ret(&mut self, value: Transferable) -> Result<()>;
  /// Returns a new promise; the completion settles it later, from any thread.
  fn ret_promise(&mut self) -> Result<Completion>;
  /// Keeps the caller's world alive until the returned token is dropped (ignored calls).
  fn hold(&mut self) -> Box<dyn Send>;
}
