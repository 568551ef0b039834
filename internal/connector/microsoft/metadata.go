package microsoft

import "github.com/gatehouse-auth/gatehouse/internal/connector/oidcrp"

// logo is four squares in Microsoft's colours.
var logo = oidcrp.LogoURI(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 23 23">` +
	`<rect x="1" y="1" width="10" height="10" fill="#F25022"/><rect x="12" y="1" width="10" height="10" fill="#7FBA00"/>` +
	`<rect x="1" y="12" width="10" height="10" fill="#00A4EF"/><rect x="12" y="12" width="10" height="10" fill="#FFB900"/></svg>`)

const readme = "# Microsoft\n\n" +
	"Sign in with Microsoft work, school or personal accounts (Microsoft Entra ID, v2.0 endpoints).\n\n" +
	"1. In the Azure portal, open **Microsoft Entra ID → App registrations → New registration**, choose who may sign in, " +
	"and add a **Web** redirect URI `<ENDPOINT>/callback/<connector id>` (the id Gatehouse returns when the connector is created).\n" +
	"2. Copy the **Application (client) ID** to `clientId`; under **Certificates & secrets** create a client secret and copy its **Value** to `clientSecret`.\n" +
	"3. Set `tenantId` to the **Directory (tenant) ID** for one organization, or `organizations`, `consumers` or `common` to match the supported account types.\n\n" +
	"`cloudInstance` defaults to `https://login.microsoftonline.com`. The account id is the Microsoft Graph user id. " +
	"An email address is taken only when the ID token carries `xms_edov: true`: add the optional claims `email` and `xms_edov` " +
	"under **Token configuration** to receive verified addresses.\n"
