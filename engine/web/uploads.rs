//! (to be written)

use axum::Router;

use crate::service::Service;

/// This part's pages.
pub fn routes() -> Router<Service> {
    Router::new()
}
