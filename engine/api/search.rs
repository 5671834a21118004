//! (to be written)

use utoipa_axum::router::OpenApiRouter;

use crate::worker::Engine;

/// This part's endpoints.
pub(crate) fn routes() -> OpenApiRouter<Engine> {
    OpenApiRouter::new()
}
