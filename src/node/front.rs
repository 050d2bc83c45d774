//! The `Front` of calls made from Node, through Node-API.

use std::sync::Arc;

use napi::sys;

use crate::api::BindingFn;
use crate::bridge::completion::Completion;
use crate::bridge::{convert, facade};
use crate::error::{Error, Result};
use crate::host::napi::native::{Args, Callback};
use crate::host::napi::{Napi, Value};
use crate::host::NodeEnv;
use crate::ops::front::Front;
use crate::ops::Realm;
use crate::transfer::handle::Handle;
use crate::transfer::{CallMode, CallbackData, CopyData, Primitive, RefData, Str, TransferOptions, Transferable};

pub struct NodeCall {
  pub napi: Napi,
  pub env: Arc<NodeEnv>,
  args: Args,
  undefined: Value,
  ret: Option<Value>,
}

impl NodeCall {
  pub fn new(napi: Napi, args: Args) -> Result<NodeCall> {
    let env = NodeEnv::current().ok_or_else(NodeEnv::gone_error)?;
    let undefined = napi.undefined()?;
    Ok(NodeCall { napi, env, args, undefined, ret: None })
  }

  fn arg(&self, index: usize) -> Value {
    self.args.get(index).unwrap_or(self.undefined)
  }

  pub fn take_return(&mut self) -> Option<Value> {
    self.ret.take()
  }
}

/// Every binding function runs as the callback of its Node function.
impl Callback for BindingFn {
  fn call(&self, napi: Napi, args: Args) -> Result<Option<Value>> {
    let mut call = NodeCall::new(napi, args)?;
    self(&mut call)?;
    Ok(call.take_return())
  }
}

impl Front for NodeCall {
  fn realm(&self) -> Realm {
    Realm::Node(self.env.clone())
  }

  fn argc(&self) -> usize {
    self.args.count()
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
    self.try_handle(index)?.ok_or_else(Error::illegal_invocation)
  }

  fn try_handle(&mut self, index: usize) -> Result<Option<Arc<Handle>>> {
    facade::unwrap(self.napi, self.arg(index))
  }

  fn transferable(&mut self, index: usize, options: TransferOptions) -> Result<Option<Transferable>> {
    convert::from_napi(self.napi, self.arg(index), options)
  }

  fn transfer_out(&mut self, index: usize, options: TransferOptions) -> Result<Transferable> {
    convert::transfer_out(self.napi, self.arg(index), options)
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
    crate::bridge::copy::copy_from_napi(self.napi, self.arg(index), transfer_out, list)
  }

  fn primitive(&mut self, index: usize) -> Result<Option<Primitive>> {
    self.napi.primitive(self.arg(index))
  }

  fn copy_arguments(&mut self) -> Result<Arc<CopyData>> {
    let array = self.napi.array(self.argc())?;
    for index in 0..self.argc() {
      self.napi.set_element(array, index as u32, self.arg(index))?;
    }
    crate::bridge::copy::copy_from_napi(self.napi, array, false, None)
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
    let caller = crate::host::errors::CallSite::capture(self.napi)?;
    Ok(Completion::node(self.env.clone(), deferred, self.env.hold(self.napi), Some(caller)))
  }

  fn hold(&mut self) -> Box<dyn Send> {
    Box::new(self.env.hold(self.napi))
  }
}
