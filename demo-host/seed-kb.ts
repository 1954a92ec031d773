/** Knowledge base articles for the demo desk. Paragraphs are separated by a blank line. */
export interface SeedArticle {
  title: string
  category: string
  body: string
  /** 'draft': shown to nobody until published; published when left out. */
  status?: 'published' | 'draft'
  /** 'internal': for agents only; public when left out. */
  visibility?: 'public' | 'internal'
}

export const kbArticles: SeedArticle[] = [
  {
    title: 'Reset your password',
    category: 'Accounts and sign-in',
    body: `If you have forgotten your password or it has expired, you can reset it yourself at https://password.helpdesk.example from any device, including your phone. You need the mobile number or personal email address you registered when you enrolled in multi-factor authentication.

1. Open https://password.helpdesk.example and enter your work email address.
2. Choose how to receive the verification code (text message or authenticator app) and enter the code.
3. Type a new password twice and select Reset.

Your new password must be at least 14 characters long and must not contain your name or username. A short sentence such as "Four blue herons by the lake" is easier to remember and harder to guess than a short password with symbols. You cannot reuse any of your last 10 passwords.

After a reset, sign out of Outlook, Teams and the VPN on every device and sign in again with the new password. Phones that keep trying the old password will lock your account after 10 failed attempts; if that happens, wait 15 minutes or chat with us and an agent will unlock it.

If you have never enrolled in self-service reset, an agent can reset the password for you after verifying your identity with a video call or in person. We never ask for your password by email or chat.`
  },
  {
    title: 'Unlock an account that is locked out',
    category: 'Accounts and sign-in',
    body: `An account locks for 15 minutes after 10 wrong passwords in a row. Most lockouts are caused by a device that still holds an old password: a phone mail app, a mapped network drive, or a second laptop that has been asleep since your last password change.

Wait 15 minutes, then sign in once on your main computer. Before that, turn off Wi-Fi on your phone and tablet, or remove and re-add the work mail account on them, so they do not lock you out again.

If the lockout keeps coming back, chat with us: an agent can see which device and which application are sending the wrong password and tell you exactly what to update.`
  },
  {
    title: 'Enrol in multi-factor authentication (MFA)',
    category: 'Accounts and sign-in',
    body: `Multi-factor authentication protects your account even if someone learns your password. Everyone must enrol within 14 days of their start date; after that, sign-in from outside the office is blocked until enrolment is complete.

1. Install Microsoft Authenticator (or any TOTP app such as Google Authenticator) on your phone.
2. On a computer, go to https://mysignins.helpdesk.example/security-info and sign in.
3. Select Add sign-in method, choose Authenticator app, and scan the QR code with the app.
4. Approve the test notification, then add your mobile number as a second method.

Always register at least two methods. If you lose your phone, the second method lets you sign in and remove the old device yourself.

Never approve a sign-in prompt you did not start. Repeated unexpected prompts mean someone has your password: deny them, change your password straight away and report it using the phishing article in this knowledge base.`
  },
  {
    title: 'Move MFA to a new phone',
    category: 'Accounts and sign-in',
    body: `Set up the new phone before you wipe or hand in the old one. Keep both phones at hand.

1. Install the authenticator app on the new phone.
2. On a computer, open https://mysignins.helpdesk.example/security-info and choose Add sign-in method > Authenticator app.
3. Scan the QR code with the new phone and approve the test prompt.
4. Set the new phone as the default method, then delete the old phone from the list.

If the old phone is already lost or broken, sign in with your text message method and follow the same steps. If you have no working method left, chat with us: an agent will verify your identity and issue a temporary access pass valid for one hour.`
  },
  {
    title: 'Connect to the VPN on Windows',
    category: 'Network and VPN',
    body: `The VPN lets you reach file shares, the intranet and internal applications from home or while travelling. Company laptops have the GlobalProtect client installed already; look for the globe icon in the system tray near the clock.

1. Select the globe icon. If you do not see it, open the hidden icons arrow.
2. Enter the portal address vpn.helpdesk.example if asked, then select Connect.
3. Sign in with your work email and approve the MFA prompt.

When connected, the icon shows a shield. Disconnect when you no longer need internal resources: Teams, Outlook and web browsing work without the VPN and are faster without it.

If the client says "Gateway not reachable", check that you are online (open any public web site), then restart the GlobalProtect service by signing out of Windows and back in. Hotel and airport Wi-Fi often require you to accept terms in a browser page before the VPN can connect. If it still fails, chat with us and mention the exact error text.`
  },
  {
    title: 'Connect to the VPN on macOS',
    category: 'Network and VPN',
    body: `On Mac laptops the GlobalProtect client lives in the menu bar at the top right of the screen.

1. Select the globe icon in the menu bar and choose Connect.
2. Enter the portal address vpn.helpdesk.example if asked.
3. Sign in with your work email and approve the MFA prompt.

After a macOS upgrade, the system may block the client's network extension. Open System Settings > Privacy & Security, scroll down, and select Allow next to the Palo Alto Networks message, then restart the Mac.

If the menu bar icon is missing, open Applications > GlobalProtect. If the app is missing entirely, install it from Self Service (the company app store in your Applications folder) rather than downloading it from the internet.`
  },
  {
    title: 'Connect to the office Wi-Fi',
    category: 'Network and VPN',
    body: `There are two wireless networks in every office. Corp is for company laptops and phones enrolled in device management; Guest is for visitors and personal devices and reaches the internet only.

Company laptops join Corp automatically with a certificate; you should never need to type a password. If a company laptop shows "Can't connect to this network", forget the Corp network, restart the laptop, and let it reconnect by itself.

For Guest, select the network, open a browser, and enter the daily code shown on the reception screen. Guest access lasts 24 hours.

Slow Wi-Fi is usually caused by distance from the access point or by a crowded meeting room. Try moving closer to a ceiling access point or plugging into a desk dock. If a whole area is slow, chat with us and tell us the floor and room.`
  },
  {
    title: 'Repair an Outlook profile',
    category: 'Email and calendar',
    body: `Repairing the Outlook profile fixes most problems where Outlook keeps asking for a password, shows "Disconnected", does not update, or crashes on start-up.

1. Close Outlook.
2. Open Control Panel, search for Mail, and open Mail (Microsoft Outlook).
3. Select Show Profiles > Add, name the new profile with today's date, and sign in with your work email when asked.
4. Under "Always use this profile", choose the new profile and select OK.
5. Start Outlook and let it download your mailbox. This can take an hour for a large mailbox; you can keep working while it does.

Your mail, calendar and contacts live on the server, so nothing is lost when you create a new profile. Local PST archive files are the exception: note their location under File > Account Settings > Data Files before you start and re-open them afterwards with File > Open & Export.

Once the new profile works for a few days, you can delete the old profile from the same Mail control panel.`
  },
  {
    title: 'Get access to a shared mailbox',
    category: 'Email and calendar',
    body: `Shared mailboxes such as support@, invoices@ or hr@ are owned by a team. Access must be approved by the mailbox owner, usually the team lead.

Request access with the work order template "Shared mailbox access", naming the mailbox and whether you need to send as the mailbox or only read it. We ask the owner for approval and grant access, normally within one working day.

Once access is granted, the mailbox appears in Outlook on Windows by itself within about an hour, under your own mailbox in the folder pane. In Outlook on the web, right-click Folders and choose Add shared folder or mailbox.

To send as the shared mailbox, show the From field in a new message (Options > From) and choose the shared address. Sent items are kept in the shared mailbox's Sent Items folder so the whole team can see replies.`
  },
  {
    title: 'Set an out-of-office reply',
    category: 'Email and calendar',
    body: `In Outlook on Windows, select File > Automatic Replies. In Outlook on the web or the new Outlook, go to Settings > Account > Automatic replies.

Turn automatic replies on, tick "Only send during this time range" and set your return date, so the reply switches itself off. Write one message for people inside the company and, if you want, a shorter one for outside senders.

A good reply says when you are back and who to contact in the meantime, without giving details of your travels. Also decline or delegate meetings during your absence so organisers know.`
  },
  {
    title: 'Fix Microsoft Teams audio and microphone problems',
    category: 'Collaboration',
    body: `Most Teams audio problems come from Teams using a different device from the one you are wearing.

1. In Teams, select the three dots next to your picture > Settings > Devices.
2. Under Audio devices, choose your headset for both Speaker and Microphone.
3. Select Make a test call. Teams records a short message and plays it back.

If others cannot hear you, check the mute switch on the headset cable, and on Windows check Settings > Privacy & security > Microphone: "Let desktop apps access your microphone" must be on. On a Mac, allow Teams under System Settings > Privacy & Security > Microphone and restart Teams.

Echo means someone near you has their speakers on; ask them to use a headset. Choppy audio usually means a weak network: turn off your video, close large downloads, and move closer to the Wi-Fi access point or plug in a cable.

If a Bluetooth headset sounds muffled during calls, it is using its low-quality hands-free profile. Choose the headset's "Stereo" device for the speaker and the laptop microphone, or use a USB headset.`
  },
  {
    title: 'Clear a stuck printer queue',
    category: 'Printing',
    body: `When documents sit in the queue and nothing prints, clear the queue before sending the job again. Sending it five more times only adds five more stuck jobs.

1. Open Settings > Bluetooth & devices > Printers & scanners and select the printer.
2. Select Open print queue, then choose Printer > Cancel All Documents.
3. If a job stays in "Deleting", restart the computer.

Then check the printer itself: most stuck queues are caused by an empty paper tray, a jam, or a printer that is switched off. The printer's screen shows the problem.

Office printers use follow-me printing: jobs wait on the print server until you tap your badge on any printer. If your badge does nothing, your job may have expired (jobs are kept for 24 hours) or the badge is not registered; chat with us and we will register it.`
  },
  {
    title: 'Add an office printer',
    category: 'Printing',
    body: `Company laptops have the FollowMe printer installed automatically. Print to FollowMe and collect the job at any office printer by tapping your badge.

If FollowMe is missing, open Settings > Bluetooth & devices > Printers & scanners > Add device. If it is not listed, choose "Add manually" and enter \\\\print.helpdesk.example\\FollowMe.

On a Mac, open Self Service and run "Install FollowMe printer".

Home printers can be added the usual way; company laptops are allowed to use them. Printing confidential documents at home is not allowed under the information handling policy.`
  },
  {
    title: 'Free up disk space on your laptop',
    category: 'Devices',
    body: `Windows and Office updates need at least 15 GB of free space. When the disk is nearly full, updates fail and the laptop becomes slow.

1. Open Settings > System > Storage and turn on Storage Sense. Run it now from "Cleanup recommendations".
2. Empty the Downloads folder: installers and old attachments usually account for most of it.
3. In OneDrive, right-click large folders and choose "Free up space". The files stay available online and download again when you open them.

Do not delete anything from C:\\Windows or Program Files, and do not use third-party "cleaner" tools: they are not allowed on company devices and can break updates.

If the disk is still full, the laptop may be too small for your work. Ask for a larger one with the "Laptop request" work order template, explaining what takes up the space.`
  },
  {
    title: 'Request a new or replacement laptop',
    category: 'Devices',
    body: `Laptops are replaced every four years or when they fail. Use the work order template "Laptop request" and include your cost centre and manager; the manager approves the request by email.

Standard models are the 14-inch business laptop (most staff) and the 16-inch performance laptop (developers, designers and analysts who need it for their role). Both come with a docking station. Monitors, headsets and keyboards are requested separately with the "Accessory request" template.

Delivery takes about five working days from approval. We prepare the new laptop with your applications; your OneDrive files and Outlook mailbox come back when you sign in. Files saved only on the old laptop's desktop or in Downloads are not copied, so move anything you need to OneDrive first.

Hand in the old laptop within two weeks. We wipe it securely before it is reused or recycled.`
  },
  {
    title: 'Request software installation',
    category: 'Software',
    body: `Most approved software can be installed without waiting for us. On Windows, open Company Portal; on a Mac, open Self Service. Search for the application and select Install.

If the software you need is not in the catalogue, raise a work order with the "Software installation request" template. Tell us the product, the version, why you need it, and whether it needs a licence. Free software still needs a security review, which normally takes three working days.

Software that handles customer data, connects to external services, or installs browser extensions also needs approval from Information Security. We will tell you if that applies.

You do not have administrator rights on your laptop. If an installer asks for them, stop and use Company Portal or raise a work order; do not ask a colleague with rights to type their password for you.`
  },
  {
    title: 'Report a phishing email',
    category: 'Security',
    body: `Phishing emails try to make you click a link, open an attachment, or give away a password or payment. Warning signs: urgency ("your mailbox will be closed today"), an unexpected invoice or delivery notice, a sender address that does not match the name, and links whose real address (hover to see it) is not the company they claim to be.

To report it, select Report > Phishing in the Outlook toolbar. The message is sent to the security team and removed from your inbox. Do not forward it to colleagues to ask what they think.

If you already clicked a link or typed your password, act at once: change your password (see "Reset your password"), then chat with us and say "I clicked a phishing link". An agent will check your account for unusual sign-ins and revoke open sessions. Reporting quickly matters far more than the mistake itself; nobody is blamed for reporting.

Calls and text messages can be phishing too. The help desk will never ask for your password or an MFA code.`
  },
  {
    title: 'Lost or stolen laptop or phone',
    category: 'Security',
    body: `Report a lost or stolen device as soon as you notice, day or night: chat with us or call the help desk number on the back of your badge.

We lock the device remotely and sign it out of email, Teams and OneDrive. Company laptops are encrypted, so the data on the disk cannot be read without your sign-in.

If the device was stolen, report the theft to the police and send us the crime reference number; insurance needs it. Change your password from another device.

A replacement laptop can usually be ready the next working day. If you find the device again, tell us before you use it so we can unlock it.`
  },
  {
    title: 'New starter onboarding: your first day',
    category: 'Onboarding',
    body: `Welcome! Your manager receives your username and a temporary password before your first day. On your first sign-in you are asked to choose a new password and enrol in multi-factor authentication; keep your phone at hand.

Your laptop is prepared before you arrive and handed over by your manager or at the IT bar on the ground floor. Sign in while connected to the office Wi-Fi the first time, and leave the laptop on for an hour so that applications and updates finish installing.

In your first week:
1. Enrol in MFA with two methods (see "Enrol in multi-factor authentication").
2. Set up self-service password reset.
3. Install any extra applications you need from Company Portal or Self Service.
4. Complete the security awareness course in the learning portal.

Your team lead requests access to shared drives, shared mailboxes and team applications. If something is missing after your first day, chat with us.`
  },
  {
    title: 'Leaver checklist for managers',
    category: 'Onboarding',
    body: `Raise a work order with the "Leaver" template at least five working days before the person's last day. Include the last working day, who should receive their mailbox and OneDrive files, and where the equipment will be returned.

On the last day at 18:00 the account is disabled and the person's devices are signed out. The mailbox is converted to a shared mailbox for 90 days so that you can pick up ongoing conversations, and an automatic reply tells senders who to contact instead.

Collect the laptop, charger, badge and any phone, and return them to the IT bar. Equipment that is not returned within two weeks is charged to the team's cost centre.`
  },
  {
    title: 'Share files with people outside the company',
    category: 'Collaboration',
    body: `Use OneDrive or a Teams channel to share files with external partners instead of email attachments. You keep control: you can see who opened the file and withdraw access at any time.

1. Right-click the file or folder and choose Share.
2. Choose "Specific people", enter the partner's email address, and decide whether they can edit.
3. Set an expiry date under the link settings.

"Anyone with the link" sharing is switched off for company data. The partner receives a code by email the first time they open the file.

Never share customer personal data or confidential documents externally without approval from your manager and a data processing agreement with the partner.`
  },
  {
    title: 'Map a network drive',
    category: 'Network and VPN',
    body: `Team drives (S:) and the department archive (T:) are mapped automatically when you sign in at the office or on the VPN.

If a drive is missing, connect to the VPN first, then open File Explorer, select This PC > Map network drive, choose the letter, and enter the folder path your team uses, for example \\\\files.helpdesk.example\\finance. Tick "Reconnect at sign-in".

"Access denied" means you are not yet a member of the team's access group; ask your team lead to request access with the "Shared drive access" work order template.

New projects should use Teams and SharePoint instead of the network drives, which are being retired over the next year.`
  },
  {
    title: 'Set up email on your mobile phone',
    category: 'Email and calendar',
    body: `Use the Outlook app for iOS or Android; the built-in mail apps are not allowed to sync company mail.

1. Install Microsoft Outlook and Company Portal from the app store.
2. Open Outlook, add your work email address and approve the MFA prompt.
3. When asked, sign in to Company Portal to register the phone. This protects company data in Outlook and Teams without giving us access to your personal photos or messages.

Company data on a personal phone can be wiped remotely if you leave or lose the phone; your personal data is not touched.`
  },
  {
    title: 'Book a meeting room with video conferencing',
    category: 'Collaboration',
    body: `Meeting rooms are booked through Outlook or Teams like any other attendee. In a new meeting, select Room Finder (or "Add a room" in Teams), choose the building and floor, and pick a room marked with a camera icon for video.

Rooms with a Teams panel join the meeting when you tap Join on the panel by the door; you do not need to connect your laptop. To share your screen, join the meeting on your laptop with audio off and select Share.

If the room panel shows the wrong meeting or the camera is offline, restart the panel with the settings icon > Restart. Report a room that keeps failing so we can send a technician.`
  },
  {
    title: 'Check the status of your ticket',
    category: 'Using the help desk',
    body: `Sign in to the help desk portal and open My tickets. Each ticket shows its reference (INC for incidents, WO for work orders), its current status, and every update from the agent working on it.

Statuses: New (waiting to be picked up), Assigned (an agent owns it), In Progress, Pending (we are waiting for you or a supplier; the reason is shown), Resolved (we believe it is fixed), and Closed. Reply within five working days to a Resolved ticket if the problem is not fixed, and it will be reopened.

Incidents are for something broken; work orders are for requests, such as new software, access or equipment. If you are unsure which you need, chat with us and the agent will raise the right one for you.`
  },
  {
    title: 'Grant a temporary access pass (agents only)',
    category: 'Accounts and sign-in',
    visibility: 'internal',
    body: `<p>Issue a <strong>temporary access pass</strong> only after verifying the caller on a video call with photo ID, or in person.</p>

<ol><li>Open the identity console &gt; Users &gt; Authentication methods.</li><li>Add a temporary access pass valid for one hour, single use.</li><li>Read it out on the call; never send it by email or chat.</li></ol>

<p>Note the pass on the ticket as &quot;TAP issued&quot; without the code itself.</p>`
  },
  {
    title: 'Order a replacement laptop charger',
    category: 'Hardware',
    status: 'draft',
    body: `Draft: chargers for the new laptop models are ordered through the hardware catalogue.

The ordering page is not live yet; until it is, agents raise a work order.

Chargers for older models are kept at the service desk.`
  }
]
