//! The tour's game-server scene: the game's server writes a player's data through Douyin's
//! `set_user_storage`, signed with the player's session key, and the client reads it.

use super::{args, bridge_error, Tour};
use crate::bridge::call_cloud;
use crate::bridge::outcome::result;
use cloud_kv::{sign, CloudKv, Platform, ServerRequest};
use serde_json::json;
use storage_core::{block_on, Dialect};

impl Tour {
    pub(super) fn game_server(&mut self) {
        println!("\nThe game's server: set_user_storage signed with the player's session key (mpstore serve answers it over HTTP), read by the client");
        let cloud = CloudKv::new(self.store.backend());
        let sessions = cloud.sessions();
        let login = sessions.register(Platform::Tt, "tour-game", "tour-cat", "tour-session-key");
        if let Err(e) = block_on(login) {
            self.unexpected += 1;
            println!("  registering the session failed: {e}   <- UNEXPECTED");
        }
        let body = json!({"kv_list": [{"key": "level", "value": "9"}]}).to_string();
        let signed = sign("tour-session-key", body.as_bytes());
        for (label, signature, expected) in
            [("a wrong signature", "00", 40014), ("signed", &signed, 0)]
        {
            let request = ServerRequest {
                platform: Platform::Tt,
                game: "tour-game",
                openid: "tour-cat",
                sig_method: "hmac_sha256",
                signature,
                body: body.as_bytes(),
            };
            let reply = block_on(cloud.set_user_storage(&request));
            let mark = if reply.errcode == expected {
                ""
            } else {
                self.unexpected += 1;
                "   <- UNEXPECTED"
            };
            println!(
                "  POST /mgplatform/api/apps/set_user_storage?openid=tour-cat&sig_method=hmac_sha256&signature=<{label}>  {body}\n      → {}{mark}",
                reply.to_json(Platform::Tt)
            );
        }
        let cat = self.game("tour-cat", true);
        let read = call_cloud(
            &cat,
            Dialect::Tt,
            "getUserCloudStorage",
            args(json!([{"keyList": ["level"]}])),
        )
        .unwrap_or_else(bridge_error);
        if result(&read)["data"] != json!([{"key": "level", "value": "9"}]) {
            self.unexpected += 1;
            println!("      <- UNEXPECTED: the client does not read the server's write");
        }
        self.show("(the client, open data context, as tour-cat) tt.getUserCloudStorage({keyList: ['level']})", read, "success");
    }
}
