//! The `Front` of calls made from Node, through Node-API.

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::Arc;

use napi::sys;

use super::napi::{call, throw_error, Napi, Value};
use super::{convert, facade, NodeEnv};
use crate::api::front::Front;
use crate::error::{catch_panic, Result};
use crate::handle::{illegal, Handle};
use crate::ops::completion::Completion;
use crate::ops::Realm;
use crate::transfer::{CallMode, CallbackData, CopyData, RefData, Str, TransferOptions, Transferable};

const MAX_ARGS: usize = 12;

pub struct NodeCall {
  pub napi: Napi,
  pub env: Arc<NodeEnv>,
  args: [Value; MAX_ARGS],
  argc: usize,
  undefined: Value,
  ret: Option<Value>,
}

impl NodeCall {
  /// Reads a call's arguments; also returns the function's data pointer.
  pub unsafe fn new(napi: Napi, info: sys::napi_callback_info) -> Result<(NodeCall, *mut c_void)> {
    let env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
    let mut args = [null_mut(); MAX_ARGS];
    let mut argc = MAX_ARGS;
    let mut data = null_mut();
    call!(napi, napi_get_cb_info(info, &mut argc, args.as_mut_ptr(), null_mut(), &mut data))?;
    let undefined = napi.undefined()?;
    Ok((NodeCall { napi, env, args, argc: argc.min(MAX_ARGS), undefined, ret: None }, data))
  }

  pub fn arg_value(&self, index: usize) -> Value {
    self.arg(index)
  }

  fn arg(&self, index: usize) -> Value {
    if index < self.argc {
      self.args[index]
    } else {
      self.undefined
    }
  }

  pub fn take_return(&mut self) -> Option<Value> {
    self.ret.take()
  }
}

/// The Node-API callback of every binding function: `data` is the Rust function to run.
pub unsafe extern "C" fn trampoline(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
  let napi = Napi(env);
  let result = catch_panic(|| {
    let (mut call, data) = unsafe { NodeCall::new(napi, info)? };
    let function: fn(&mut dyn Front) -> Result<()> = unsafe { std::mem::transmute(data) };
    function(&mut call)?;
    Ok(call.take_return())
  });
  match result {
    Ok(Some(value)) => value,
    Ok(None) => null_mut(),
    Err(error) => {
      throw_error(napi, error);
      null_mut()
    }
  }
}

impl Front for NodeCall {
  fn realm(&self) -> Realm {
    Realm::Node(self.env.clone())
  }

  fn argc(&self) -> usize {
    self.argc
  }

  fn is_nullish(&mut self, index: usize) -> bool {
    matches!(self.napi.type_of(self.arg(index)), Ok(sys::ValueType::napi_undefined | sys::ValueType::napi_null))
  }

  fn string(&mut self, index: usize) -> Result<Str> {
    self.napi.get_str(self.arg(index))
  }

  fn number(&mut self, index: usize) -> Result<f64> {
    self.napi.get_f64(self.arg(index))
  }

  fn boolean(&mut self, index: usize) -> Result<bool> {
    self.napi.get_bool(self.arg(index))
  }

  fn handle(&mut self, index: usize) -> Result<Arc<Handle>> {
    self.try_handle(index)?.ok_or_else(illegal)
  }

  fn try_handle(&mut self, index: usize) -> Result<Option<Arc<Handle>>> {
    facade::unwrap(self.napi, self.arg(index))
  }

  fn transferable(&mut self, index: usize, options: TransferOptions) -> Result<Option<Transferable>> {
    convert::from_napi(self.napi, self.arg(index), options)
  }

  fn transferable_list(&mut self, index: usize, options: TransferOptions) -> Result<Vec<Transferable>> {
    let array = self.arg(index);
    if !self.napi.is_array(array)? {
      return Ok(Vec::new());
    }
    let len = self.napi.array_len(array)?;
    let mut items = Vec::with_capacity(len as usize);
    for i in 0..len {
      let item = self.napi.get_element(array, i)?;
      items.push(convert::transfer_out(self.napi, item, options)?);
    }
    Ok(items)
  }

  fn copy(&mut self, index: usize, transfer_out: bool, transfer_list: Option<usize>) -> Result<Arc<CopyData>> {
    let list = transfer_list.map(|i| self.arg(i)).filter(|list| self.napi.is_array(*list).unwrap_or(false));
    super::copy::copy_from_napi(self.napi, self.arg(index), transfer_out, list)
  }

  fn reference(&mut self, index: usize, inherit: bool) -> Result<Arc<RefData>> {
    convert::reference_to(self.napi, self.arg(index), inherit)
  }

  fn callback(&mut self, index: usize, mode: CallMode) -> Result<Arc<CallbackData>> {
    convert::callback_to(self.napi, self.arg(index), mode)
  }

  fn bind(&mut self, index: usize, handle: Handle) -> Result<()> {
    facade::bind(self.napi, self.arg(index), handle)
  }

  fn ret(&mut self, value: Transferable) -> Result<()> {
    let value = convert::to_napi(self.napi, value)?;
    self.ret = Some(value);
    Ok(())
  }

  fn ret_promise(&mut self) -> Result<Completion> {
    let (deferred, promise) = self.napi.promise()?;
    self.ret = Some(promise);
    let caller = convert::CallSite::capture(self.napi)?;
    Ok(Completion::node(self.env.clone(), deferred, self.env.hold(self.napi), Some(caller)))
  }

  fn hold(&mut self) -> Box<dyn Send> {
    Box::new(self.env.hold(self.napi))
  }
}
