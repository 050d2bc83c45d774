//! Structured-clone copies of Node values.

use super::napi::{Napi, Value};
use crate::error::{Error, Result};
use crate::transfer::{Transferable, TransferType};

pub fn copy_out(_napi: Napi, _value: Value, _kind: TransferType) -> Result<Transferable> {
  Err(Error::type_error("Copying objects is not supported yet"))
}
