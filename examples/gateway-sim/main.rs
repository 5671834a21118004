//! The state systems behind the gateway, simulated: GBD FL, a bank, TsBDI, ENPF, the
//! provider's register, the State Corporation receiving results (JSON; GBD FL also over the
//! gateway's SOAP sync and async channels), and the monitoring system's stage receiver. The logic is `qyzmet::gateway::sim`; this is
//! its thin main. The people it knows are listed in `workflows/README.md` ("People the gateway
//! simulator knows").
//!
//! ```sh
//! cargo run --example gateway-sim -- --listen 127.0.0.1:9090
//! cargo run --example gateway-sim -- --fault gbd_fl.person:down --fault bank.account:latency_ms=800,error_rate=0.2
//! curl -X POST localhost:9090/faults -H 'content-type: application/json' \
//!      -d '{"connector": "gbd_fl.person", "timeout": true}'
//! curl -X DELETE localhost:9090/faults
//! ```
//!
//! `config/connectors.yaml` points every connector at `http://127.0.0.1:9090`. For GBD FL on
//! the asynchronous channel, give it the engine's answers endpoint and the token of its
//! `gateway_system` account (`qyzmet accounts add … --role gateway_system --token shep`):
//!
//! ```sh
//! QYZMET_SIM_CALLBACK_TOKEN=… cargo run --example gateway-sim -- --callback http://127.0.0.1:8080/gateway/answers
//! ```

use clap::Parser;
use qyzmet::gateway::sim::{self, Fault, Sim};

/// Simulated state systems for qyzmet's gateway connectors.
#[derive(Parser)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: String,
    /// A fault from the start: `connector:down`, `connector:timeout`,
    /// `connector:latency_ms=N,error_rate=R` (repeat for several connectors).
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// Post asynchronous answers to this URL (the engine's `/gateway/answers`) instead of
    /// keeping them for `GET /shep/async/answers`.
    #[arg(long)]
    callback: Option<String>,
    /// The API token of the engine's `gateway_system` account, for the callback.
    #[arg(long, env = "QYZMET_SIM_CALLBACK_TOKEN")]
    callback_token: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let state = Sim::new();
    for text in &args.faults {
        let f = sim::parse_fault(text).map_err(anyhow::Error::msg)?;
        state.set_fault(
            &f.connector,
            Fault {
                latency_ms: f.latency_ms,
                error_rate: f.error_rate,
                timeout: f.timeout,
                down: f.down,
            },
        );
    }
    state.set_callback(args.callback.map(|url| sim::Callback {
        url,
        token: args.callback_token,
    }));
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    tracing::info!(address = %listener.local_addr()?, "the gateway simulator listens");
    sim::serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
