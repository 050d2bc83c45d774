//! The bridge between Node values and what crosses between worlds (`Transferable`): conversions
//! both ways, structured copies (written by lib/clone.js, rebuilt natively in `clone`), promises,
//! SharedArrayBuffers and facade objects in Node.

pub mod clone;
pub mod completion;
pub mod convert;
pub mod copy;
pub mod facade;
pub mod forward;
pub mod promise;
pub mod shared;
