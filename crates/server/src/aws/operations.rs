//! The closed set of a service's operations: `operations!` declares an `Operation` enum with
//! every operation of the service model (implemented or not), its name and whether Cognito
//! requires a SigV4 signature for it.

/// How a caller authenticates to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// SigV4 with an access key (administration).
    Signed,
    /// No signature: by client id, access token, session or token (`"authtype": "none"` in the
    /// model).
    Unsigned,
}

/// One operation of an API, as the generic server (`dispatch`) sees it.
#[derive(Debug, Clone, Copy)]
pub struct OperationRef {
    pub name: &'static str,
    pub authentication: Authentication,
}

/// `operations! { Name => signed, Other => unsigned, … }`: the `Operation` enum of one service.
macro_rules! operations {
    ($($name:ident => $auth:ident,)*) => {
        /// An operation of the service, named as in the service model.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation {
            $($name,)*
        }

        impl Operation {
            pub const ALL: &'static [Operation] = &[$(Operation::$name,)*];

            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($name) => Some(Operation::$name),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                }
            }

            /// The operation a name designates, as the generic server sees it.
            pub fn lookup(name: &str) -> Option<$crate::aws::operations::OperationRef> {
                Operation::from_name(name)
                    .map(|operation| $crate::aws::operations::OperationRef { name: operation.name(), authentication: operation.authentication() })
            }

            pub fn authentication(self) -> $crate::aws::operations::Authentication {
                match self {
                    $(Operation::$name => operations!(@auth $auth),)*
                }
            }
        }
    };
    (@auth signed) => { $crate::aws::operations::Authentication::Signed };
    (@auth unsigned) => { $crate::aws::operations::Authentication::Unsigned };
}

pub(crate) use operations;
