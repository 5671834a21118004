//! The case file: what a clerk needs to see of a case to work it, on the case page and on
//! every task page. (to be written)

use axum::Router;
use serde_json::Value;

use super::WebError;
use super::text::Lang;
use crate::api::{Source, auth::Principal};
use crate::runtime::CaseState;
use crate::service::Service;

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new()
}

/// The case file of `case` as `p` may see it, in `lang`, for the `case_file` partial;
/// `null` draws nothing.
pub async fn view(
    _service: &Service,
    _p: &Principal,
    _case: &CaseState,
    _lang: Lang,
    _source: &Source,
) -> Result<Value, WebError> {
    Ok(Value::Null)
}
