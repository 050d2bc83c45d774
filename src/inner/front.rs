//! The `Front` of calls made from isolate code, through V8 function callbacks.

use std::sync::Arc;

use crate::bridge::completion::Completion;
use crate::error::{Error, Result};
use crate::isolate::executor;
use crate::ops::front::Front;
use crate::ops::Realm;
use crate::transfer::handle::Handle;
use crate::transfer::{serializer, v8conv, CallMode, CallbackData, CopyData, Primitive, RefData, Str, TransferOptions, Transferable};

pub struct V8Call<'a, 's, 'i> {
  scope: &'a mut v8::PinScope<'s, 'i>,
  args: &'a v8::FunctionCallbackArguments<'s>,
  ret: Option<v8::Local<'s, v8::Value>>,
}

impl<'a, 's, 'i> V8Call<'a, 's, 'i> {
  pub fn new(scope: &'a mut v8::PinScope<'s, 'i>, args: &'a v8::FunctionCallbackArguments<'s>) -> Self {
    V8Call { scope, args, ret: None }
  }

  pub fn scope(&mut self) -> &mut v8::PinScope<'s, 'i> {
    self.scope
  }

  pub fn take_return(&mut self) -> Option<v8::Local<'s, v8::Value>> {
    self.ret.take()
  }

  fn arg(&self, index: usize) -> v8::Local<'s, v8::Value> {
    self.args.get(index as i32)
  }
}

impl Front for V8Call<'_, '_, '_> {
  fn realm(&self) -> Realm {
    Realm::Isolate(executor::current().expect("isolate code runs in an entered isolate"))
  }

  fn argc(&self) -> usize {
    self.args.length().max(0) as usize
  }

  fn is_nullish(&mut self, index: usize) -> bool {
    self.arg(index).is_null_or_undefined()
  }

  fn string(&mut self, index: usize) -> Result<Str> {
    let value = self.arg(index).to_string(self.scope).ok_or(Error::Pending)?;
    Ok(v8conv::str_from_v8(self.scope, value))
  }

  fn number(&mut self, index: usize) -> Result<f64> {
    self.arg(index).number_value(self.scope).ok_or(Error::Pending)
  }

  fn boolean(&mut self, index: usize) -> Result<bool> {
    Ok(self.arg(index).boolean_value(self.scope))
  }

  fn handle(&mut self, index: usize) -> Result<Arc<Handle>> {
    self.try_handle(index)?.ok_or_else(Error::illegal_invocation)
  }

  fn try_handle(&mut self, index: usize) -> Result<Option<Arc<Handle>>> {
    crate::transfer::facade::facade_handle(self.scope, self.arg(index))
  }

  fn transferable(&mut self, index: usize, options: TransferOptions) -> Result<Option<Transferable>> {
    v8conv::from_v8(self.scope, self.arg(index), options)
  }

  fn transfer_out(&mut self, index: usize, options: TransferOptions) -> Result<Transferable> {
    v8conv::transfer_out(self.scope, self.arg(index), options)
  }

  fn transferable_list(&mut self, index: usize, options: TransferOptions) -> Result<Vec<Transferable>> {
    let Ok(array) = v8::Local::<v8::Array>::try_from(self.arg(index)) else { return Ok(Vec::new()) };
    let mut items = Vec::with_capacity(array.length() as usize);
    for i in 0..array.length() {
      let item = array.get_index(self.scope, i).ok_or(Error::Pending)?;
      items.push(v8conv::transfer_out(self.scope, item, options)?);
    }
    Ok(items)
  }

  fn copy(&mut self, index: usize, transfer_out: bool, transfer_list: Option<usize>) -> Result<Arc<CopyData>> {
    let mut buffers = Vec::new();
    if let Some(list) = transfer_list.and_then(|i| v8::Local::<v8::Array>::try_from(self.arg(i)).ok()) {
      for i in 0..list.length() {
        let item = list.get_index(self.scope, i).ok_or(Error::Pending)?;
        let buffer =
          v8::Local::<v8::ArrayBuffer>::try_from(item).map_err(|_| Error::type_error("Non-ArrayBuffer passed in `transferList`"))?;
        buffers.push(buffer);
      }
    }
    serializer::copy_from_v8(self.scope, self.arg(index), transfer_out, &buffers)
  }

  fn primitive(&mut self, index: usize) -> Result<Option<Primitive>> {
    Ok(v8conv::primitive_from_v8(self.scope, self.arg(index)))
  }

  fn copy_arguments(&mut self) -> Result<Arc<CopyData>> {
    let arguments: Vec<_> = (0..self.argc()).map(|index| self.arg(index)).collect();
    let array = v8::Array::new_with_elements(self.scope, &arguments);
    serializer::copy_from_v8(self.scope, array.into(), false, &[])
  }

  fn reference(&mut self, index: usize, inherit: bool) -> Result<Arc<RefData>> {
    v8conv::reference_to(self.scope, self.arg(index), inherit)
  }

  fn callback(&mut self, index: usize, mode: CallMode) -> Result<Arc<CallbackData>> {
    let function = v8::Local::<v8::Function>::try_from(self.arg(index)).map_err(|_| Error::type_error("Callback requires a function"))?;
    v8conv::callback_to(self.scope, function, mode)
  }

  fn bind(&mut self, index: usize, handle: Handle) -> Result<()> {
    let object = v8::Local::<v8::Object>::try_from(self.arg(index)).map_err(|_| Error::illegal_invocation())?;
    crate::transfer::facade::bind(self.scope, object, handle)
  }

  fn ret(&mut self, value: Transferable) -> Result<()> {
    self.ret = Some(v8conv::to_v8(self.scope, value)?);
    Ok(())
  }

  fn ret_promise(&mut self) -> Result<Completion> {
    let core = executor::current().expect("isolate code runs in an entered isolate");
    let (completion, promise) = Completion::isolate(&core, self.scope, true)?;
    self.ret = Some(promise.into());
    Ok(completion)
  }

  fn hold(&mut self) -> Box<dyn Send> {
    // Isolates have no event loop to keep alive.
    Box::new(())
  }
}
